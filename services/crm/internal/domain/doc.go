// Package domain holds crm's business rules as pure code: contact
// normalisation (email, E.164 phone) and merging; what makes a lead
// (NewLead) and how an update changes one (Lead.Apply); activity and note
// validation; the lead scoring model; the deal pipeline (where a deal
// starts, StartStage, and how it moves, Deal.MoveTo under CheckTransition);
// assignment rules and round-robin; and the planning of CSV lead imports.
// It knows nothing of HTTP or SQL; the app checks what needs the store
// (references to other rows) around it.
package domain
