// Package testkit gives tests their own slice of the shared local
// infrastructure: a fresh PostgreSQL database, a Redis key prefix, the broker
// address and unique names, each cleaned up when the test ends. Tests never
// skip when the infrastructure is missing; they fail and say how to start it.
package testkit
