package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/postgres"
	"reos.dev/services/outreach/internal/app"
	"reos.dev/services/outreach/internal/domain"
	"reos.dev/services/outreach/internal/domain/compliance"
)

const (
	emailTemplateCols = `t.id::text, t.org_id::text, t.name, t.subject, t.html, t.text, t.created_by::text, t.created_at, t.updated_at`
	sqlInsertEmail    = `INSERT INTO outreach.email_templates (id, org_id, name, subject, html, text, created_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`
	sqlGetEmail    = `SELECT ` + emailTemplateCols + ` FROM outreach.email_templates t WHERE t.id = $1`
	sqlUpdateEmail = `UPDATE outreach.email_templates SET name = $2, subject = $3, html = $4, text = $5, updated_at = $6 WHERE id = $1`
	sqlDeleteEmail = `DELETE FROM outreach.email_templates WHERE id = $1`
	sqlListEmail   = `SELECT ` + emailTemplateCols + ` FROM outreach.email_templates t
WHERE ($1::timestamptz IS NULL OR (t.created_at, t.id) < ($1, $2::uuid)) ORDER BY t.created_at DESC, t.id DESC LIMIT $3`

	smsTemplateCols = `t.id::text, t.org_id::text, t.name, t.body, t.created_by::text, t.created_at, t.updated_at`
	sqlInsertSMS    = `INSERT INTO outreach.sms_templates (id, org_id, name, body, created_by, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7)`
	sqlGetSMS    = `SELECT ` + smsTemplateCols + ` FROM outreach.sms_templates t WHERE t.id = $1`
	sqlUpdateSMS = `UPDATE outreach.sms_templates SET name = $2, body = $3, updated_at = $4 WHERE id = $1`
	sqlDeleteSMS = `DELETE FROM outreach.sms_templates WHERE id = $1`
	sqlListSMS   = `SELECT ` + smsTemplateCols + ` FROM outreach.sms_templates t
WHERE ($1::timestamptz IS NULL OR (t.created_at, t.id) < ($1, $2::uuid)) ORDER BY t.created_at DESC, t.id DESC LIMIT $3`

	sqlEmailTemplatesExist = `SELECT id::text FROM outreach.email_templates WHERE id = ANY($1::uuid[])`
	sqlSMSTemplatesExist   = `SELECT id::text FROM outreach.sms_templates WHERE id = ANY($1::uuid[])`
)

var templateKeyset = newestFirst("t")

func scanEmailTemplate(row pgx.CollectableRow) (domain.EmailTemplate, error) {
	var t domain.EmailTemplate
	err := row.Scan(&t.ID, &t.OrgID, &t.Name, &t.Subject, &t.HTML, &t.Text, &t.CreatedBy, &t.CreatedAt, &t.UpdatedAt)
	return t, err
}

func scanSMSTemplate(row pgx.CollectableRow) (domain.SMSTemplate, error) {
	var t domain.SMSTemplate
	err := row.Scan(&t.ID, &t.OrgID, &t.Name, &t.Body, &t.CreatedBy, &t.CreatedAt, &t.UpdatedAt)
	return t, err
}

// templateWriteError maps a taken name to a conflict naming name.
func templateWriteError(err error, what string) error {
	if _, dup := postgres.IsUniqueViolation(err); dup {
		e := apperr.Conflict(domain.ReasonNameTaken, "another "+what+" has this name")
		e.Fields = []apperr.FieldError{{Field: "name", Message: "is taken by another " + what}}
		return e
	}
	if err != nil {
		return fmt.Errorf("save %s: %w", what, err)
	}
	return nil
}

// templateDeleteError maps a template still used by a campaign step to a
// conflict.
func templateDeleteError(err error, what string) error {
	if _, used := postgres.IsForeignKeyViolation(err); used {
		return apperr.Conflict(domain.ReasonTemplateInUse, "a campaign step uses this "+what)
	}
	if err != nil {
		return fmt.Errorf("delete %s: %w", what, err)
	}
	return nil
}

func (r templateRepo) CreateEmail(ctx context.Context, orgID string, t domain.EmailTemplate) error {
	_, err := r.tx.Exec(ctx, sqlInsertEmail, t.ID, orgID, t.Name, t.Subject, t.HTML, t.Text, t.CreatedBy, t.CreatedAt, t.UpdatedAt)
	return templateWriteError(err, "email template")
}

func (r templateRepo) GetEmail(ctx context.Context, id string) (domain.EmailTemplate, error) {
	rows, _ := r.tx.Query(ctx, sqlGetEmail, id)
	t, err := pgx.CollectExactlyOneRow(rows, scanEmailTemplate)
	return t, notFound(err, domain.ReasonTemplateNotFound, "email template")
}

func (r templateRepo) UpdateEmail(ctx context.Context, t domain.EmailTemplate) error {
	tag, err := r.tx.Exec(ctx, sqlUpdateEmail, t.ID, t.Name, t.Subject, t.HTML, t.Text, t.UpdatedAt)
	if err := templateWriteError(err, "email template"); err != nil {
		return err
	}
	return expectOne(tag, domain.ReasonTemplateNotFound, "email template")
}

func (r templateRepo) DeleteEmail(ctx context.Context, id string) error {
	tag, err := r.tx.Exec(ctx, sqlDeleteEmail, id)
	if err := templateDeleteError(err, "email template"); err != nil {
		return err
	}
	return expectOne(tag, domain.ReasonTemplateNotFound, "email template")
}

func (r templateRepo) ListEmail(ctx context.Context, pr app.PageRequest) (app.Page[domain.EmailTemplate], error) {
	p, err := templateKeyset.Page(pr.Cursor, pr.Limit)
	if err != nil {
		return app.Page[domain.EmailTemplate]{}, err
	}
	v, id, n := p.Args()
	rows, err := r.tx.Query(ctx, sqlListEmail, v, id, n)
	if err != nil {
		return app.Page[domain.EmailTemplate]{}, fmt.Errorf("list email templates: %w", err)
	}
	return collectPage(p, rows, scanEmailTemplate, func(t domain.EmailTemplate) (any, string) { return t.CreatedAt, t.ID })
}

func (r templateRepo) CreateSMS(ctx context.Context, orgID string, t domain.SMSTemplate) error {
	_, err := r.tx.Exec(ctx, sqlInsertSMS, t.ID, orgID, t.Name, t.Body, t.CreatedBy, t.CreatedAt, t.UpdatedAt)
	return templateWriteError(err, "sms template")
}

func (r templateRepo) GetSMS(ctx context.Context, id string) (domain.SMSTemplate, error) {
	rows, _ := r.tx.Query(ctx, sqlGetSMS, id)
	t, err := pgx.CollectExactlyOneRow(rows, scanSMSTemplate)
	return t, notFound(err, domain.ReasonTemplateNotFound, "sms template")
}

func (r templateRepo) UpdateSMS(ctx context.Context, t domain.SMSTemplate) error {
	tag, err := r.tx.Exec(ctx, sqlUpdateSMS, t.ID, t.Name, t.Body, t.UpdatedAt)
	if err := templateWriteError(err, "sms template"); err != nil {
		return err
	}
	return expectOne(tag, domain.ReasonTemplateNotFound, "sms template")
}

func (r templateRepo) DeleteSMS(ctx context.Context, id string) error {
	tag, err := r.tx.Exec(ctx, sqlDeleteSMS, id)
	if err := templateDeleteError(err, "sms template"); err != nil {
		return err
	}
	return expectOne(tag, domain.ReasonTemplateNotFound, "sms template")
}

func (r templateRepo) ListSMS(ctx context.Context, pr app.PageRequest) (app.Page[domain.SMSTemplate], error) {
	p, err := templateKeyset.Page(pr.Cursor, pr.Limit)
	if err != nil {
		return app.Page[domain.SMSTemplate]{}, err
	}
	v, id, n := p.Args()
	rows, err := r.tx.Query(ctx, sqlListSMS, v, id, n)
	if err != nil {
		return app.Page[domain.SMSTemplate]{}, fmt.Errorf("list sms templates: %w", err)
	}
	return collectPage(p, rows, scanSMSTemplate, func(t domain.SMSTemplate) (any, string) { return t.CreatedAt, t.ID })
}

func (r templateRepo) Exist(ctx context.Context, ch compliance.Channel, ids []string) (map[string]bool, error) {
	q := sqlEmailTemplatesExist
	if ch == compliance.SMS {
		q = sqlSMSTemplatesExist
	}
	rows, err := r.tx.Query(ctx, q, ids)
	if err != nil {
		return nil, fmt.Errorf("templates exist: %w", err)
	}
	found, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("templates exist: %w", err)
	}
	out := make(map[string]bool, len(found))
	for _, id := range found {
		out[id] = true
	}
	return out, nil
}
