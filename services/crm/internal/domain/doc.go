// Package domain holds crm's business rules as pure code: contact
// normalisation (email, E.164 phone), lead and activity validation, the lead
// scoring model and the deal stage machine. It knows nothing of HTTP or SQL.
package domain
