package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/postgres"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/domain"
)

// contactColumns are read into contactFields, in this order.
const contactColumns = `c.id, c.first_name, c.last_name, c.email, c.phone, c.time_zone, c.postal_code, c.created_at, c.updated_at`

const (
	sqlFindContacts = `SELECT ` + contactColumns + ` FROM crm.contacts c
WHERE ($1::text IS NOT NULL AND c.email = $1) OR ($2::text IS NOT NULL AND c.phone = $2)
ORDER BY c.created_at, c.id`
	// ON CONFLICT DO NOTHING covers both dedupe indexes: a concurrent insert
	// of the same person waits for the other transaction, then yields.
	sqlInsertContact = `INSERT INTO crm.contacts (id, org_id, first_name, last_name, email, phone, created_by, created_at, updated_at,
time_zone, postal_code)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, $9, $10) ON CONFLICT DO NOTHING`
	sqlUpdateContact = `UPDATE crm.contacts SET first_name = $2, last_name = $3, email = $4, phone = $5, updated_at = $6,
time_zone = $7, postal_code = $8 WHERE id = $1`
	// sqlListContacts is completed by ListContacts with the scope and the
	// keyset.
	sqlListContacts = `SELECT ` + contactColumns + ` FROM crm.contacts c WHERE true`
)

// sqlGetContact looks a contact up by id ($1) in a scope ($2).
var sqlGetContact = scopedByID(`SELECT `+contactColumns+` FROM crm.contacts c WHERE c.id = $1`, sqlContactVisible, "$2")

// contactFields are the scan targets of contactColumns in c.
func contactFields(c *domain.Contact) []any {
	return []any{&c.ID, &c.FirstName, &c.LastName, &c.Email, &c.Phone, &c.TimeZone, &c.PostalCode, &c.CreatedAt, &c.UpdatedAt}
}

func scanContact(row pgx.Row) (domain.Contact, error) {
	var c domain.Contact
	err := row.Scan(contactFields(&c)...)
	return c, err
}

func (r contactRepo) Find(ctx context.Context, email, phone *string) ([]domain.Contact, error) {
	rows, err := r.tx.Query(ctx, sqlFindContacts, email, phone)
	if err != nil {
		return nil, fmt.Errorf("find contacts: %w", err)
	}
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (domain.Contact, error) { return scanContact(row) })
}

func (r contactRepo) Create(ctx context.Context, orgID string, c domain.Contact) (bool, error) {
	tag, err := r.tx.Exec(ctx, sqlInsertContact, c.ID, orgID, c.FirstName, c.LastName, c.Email, c.Phone, c.CreatedBy, c.CreatedAt,
		c.TimeZone, c.PostalCode)
	if err != nil {
		return false, fmt.Errorf("insert contact: %w", err)
	}
	return tag.RowsAffected() == 1, nil
}

func (r contactRepo) Update(ctx context.Context, c domain.Contact) error {
	tag, err := r.tx.Exec(ctx, sqlUpdateContact, c.ID, c.FirstName, c.LastName, c.Email, c.Phone, c.UpdatedAt, c.TimeZone, c.PostalCode)
	if _, dup := postgres.IsUniqueViolation(err); dup {
		return apperr.Conflict(domain.ReasonContactTaken, "another contact has this email or phone")
	}
	if err != nil {
		return fmt.Errorf("update contact: %w", err)
	}
	return expectOne(tag, domain.ReasonContactNotFound, "contact")
}

func (r contactRepo) Get(ctx context.Context, id string, scope app.Scope) (domain.Contact, error) {
	c, err := scanContact(r.tx.QueryRow(ctx, sqlGetContact, id, scopeArg(scope)))
	return c, notFound(err, domain.ReasonContactNotFound, "contact")
}

func (r contactRepo) List(ctx context.Context, cq app.ContactQuery) (app.Page[domain.Contact], error) {
	page, err := newestFirst("c").Page(cq.Page.Cursor, cq.Page.Limit)
	if err != nil {
		return app.Page[domain.Contact]{}, err
	}
	q := &query{}
	q.sb.WriteString(sqlListContacts)
	if cq.Email != nil {
		q.where(" AND c.email = %s", *cq.Email)
	}
	if cq.Phone != nil {
		q.where(" AND c.phone = %s", *cq.Phone)
	}
	q.whereVisible(sqlContactVisible, cq.VisibleTo)
	q.seek(page)
	rows, err := r.tx.Query(ctx, q.sb.String(), q.args...)
	if err != nil {
		return app.Page[domain.Contact]{}, fmt.Errorf("list contacts: %w", err)
	}
	out, err := collectPage(page, rows, func(row pgx.CollectableRow) (domain.Contact, error) { return scanContact(row) },
		func(c domain.Contact) (any, string) { return c.CreatedAt, c.ID })
	if err != nil {
		return app.Page[domain.Contact]{}, fmt.Errorf("list contacts: %w", err)
	}
	return out, nil
}
