// Package postgres holds the PostgreSQL plumbing every service shares: a pgx
// pool that can drop privileges with SET ROLE on connect, transactions scoped
// to one organisation for row-level security, helpers that classify driver
// errors, and a golang-migrate runner over embedded SQL files with a check
// that refuses to serve against a schema that is behind.
package postgres
