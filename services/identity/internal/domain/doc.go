// Package domain holds identity's entities and rules: users, organisations,
// teams, roles and the permission catalogue, refresh token families and the
// login throttle. It does no I/O; every rule that can be checked without the
// database is checked here, and every refusal is an apperr value so that the
// transport maps it to the right status without knowing the rule.
package domain
