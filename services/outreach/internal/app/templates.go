package app

import (
	"context"
	"errors"
	"strings"

	"reos.dev/pkg/apperr"
	"reos.dev/pkg/auth"
	"reos.dev/services/outreach/internal/domain"
	"reos.dev/services/outreach/internal/domain/compliance"
	"reos.dev/services/outreach/internal/domain/template"
)

// EmailTemplateInput is an email template as a client writes it (create
// and PUT, which replaces every field).
type EmailTemplateInput struct {
	Name, Subject, HTML string
	// Text is the plain-text part; nil: generated from HTML.
	Text *string
}

// SMSTemplateInput is an SMS template as a client writes it.
type SMSTemplateInput struct {
	Name, Body string
}

// PreviewInput chooses a preview's merge data: a real lead's (read model)
// or, without LeadID, the template package's sample data.
type PreviewInput struct {
	LeadID *string
}

// SMSPreview is a rendered SMS with how it travels.
type SMSPreview struct {
	Body     string
	Segments template.Segments
}

// checkEmailTemplate validates in: sizes here, then the template package
// (unknown merge fields and syntax errors, each with line and column).
func checkEmailTemplate(in EmailTemplateInput) (name string, err error) {
	var f domain.FieldErrors
	name = domain.TemplateName(in.Name, &f)
	domain.CheckEmailSizes(in.Subject, in.HTML, in.Text, &f)
	if err := f.Err(); err != nil {
		return "", err
	}
	src := template.EmailSource{Subject: in.Subject, HTML: in.HTML}
	if in.Text != nil {
		src.Text = *in.Text
	}
	_, err = template.CompileEmail(src)
	return name, templateError(err)
}

func checkSMSTemplate(in SMSTemplateInput) (name string, err error) {
	var f domain.FieldErrors
	name = domain.TemplateName(in.Name, &f)
	domain.CheckSMSSize(in.Body, &f)
	if err := f.Err(); err != nil {
		return "", err
	}
	_, err = template.CompileSMS(template.SMSSource{Body: in.Body})
	return name, templateError(err)
}

// templateError turns the template package's problems into a 422 naming
// each field with its line and column.
func templateError(err error) error {
	var inv *template.InvalidError
	if !errors.As(err, &inv) {
		return err
	}
	fields := make([]apperr.FieldError, 0, len(inv.Problems))
	for _, p := range inv.Problems {
		fields = append(fields, apperr.FieldError{Field: p.Field, Message: p.Message, Line: p.Line, Column: p.Column})
	}
	e := apperr.InvalidFields(fields...)
	e.Reason, e.Message = domain.ReasonInvalidTemplate, "the template has errors"
	return e
}

func (s *service) CreateEmailTemplate(ctx context.Context, in EmailTemplateInput) (domain.EmailTemplate, error) {
	p, err := auth.CallerWith(ctx, PermTemplatesWrite)
	if err != nil {
		return domain.EmailTemplate{}, err
	}
	name, err := checkEmailTemplate(in)
	if err != nil {
		return domain.EmailTemplate{}, err
	}
	now := s.now()
	t := domain.EmailTemplate{ID: newID(), OrgID: p.OrgID, Name: name, Subject: in.Subject, HTML: in.HTML, Text: in.Text,
		CreatedBy: actorID(p), CreatedAt: now, UpdatedAt: now}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error { return tx.Templates().CreateEmail(ctx, p.OrgID, t) })
	return t, err
}

func (s *service) GetEmailTemplate(ctx context.Context, id string) (domain.EmailTemplate, error) {
	p, err := requireOn(ctx, PermTemplatesRead, id, domain.ReasonTemplateNotFound, "email template")
	if err != nil {
		return domain.EmailTemplate{}, err
	}
	var t domain.EmailTemplate
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		t, err = tx.Templates().GetEmail(ctx, id)
		return err
	})
	return t, err
}

func (s *service) UpdateEmailTemplate(ctx context.Context, id string, in EmailTemplateInput) (domain.EmailTemplate, error) {
	p, err := requireOn(ctx, PermTemplatesWrite, id, domain.ReasonTemplateNotFound, "email template")
	if err != nil {
		return domain.EmailTemplate{}, err
	}
	name, err := checkEmailTemplate(in)
	if err != nil {
		return domain.EmailTemplate{}, err
	}
	var t domain.EmailTemplate
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if t, err = tx.Templates().GetEmail(ctx, id); err != nil {
			return err
		}
		t.Name, t.Subject, t.HTML, t.Text, t.UpdatedAt = name, in.Subject, in.HTML, in.Text, s.now()
		return tx.Templates().UpdateEmail(ctx, t)
	})
	return t, err
}

func (s *service) DeleteEmailTemplate(ctx context.Context, id string) error {
	p, err := requireOn(ctx, PermTemplatesWrite, id, domain.ReasonTemplateNotFound, "email template")
	if err != nil {
		return err
	}
	return s.store.InOrg(ctx, p.OrgID, func(tx Tx) error { return tx.Templates().DeleteEmail(ctx, id) })
}

func (s *service) ListEmailTemplates(ctx context.Context, pr PageRequest) (Page[domain.EmailTemplate], error) {
	p, err := auth.CallerWith(ctx, PermTemplatesRead)
	if err != nil {
		return Page[domain.EmailTemplate]{}, err
	}
	var out Page[domain.EmailTemplate]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		out, err = tx.Templates().ListEmail(ctx, pr)
		return err
	})
	return out, err
}

// PreviewEmailTemplate renders the saved template with sample data or a
// real lead's.
func (s *service) PreviewEmailTemplate(ctx context.Context, id string, in PreviewInput) (template.Email, error) {
	p, err := requireOn(ctx, PermTemplatesRead, id, domain.ReasonTemplateNotFound, "email template")
	if err != nil {
		return template.Email{}, err
	}
	var out template.Email
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		t, err := tx.Templates().GetEmail(ctx, id)
		if err != nil {
			return err
		}
		data, err := s.previewData(ctx, tx, p.OrgID, in)
		if err != nil {
			return err
		}
		src := template.EmailSource{Subject: t.Subject, HTML: t.HTML}
		if t.Text != nil {
			src.Text = *t.Text
		}
		compiled, err := template.CompileEmail(src)
		if err != nil {
			return templateError(err)
		}
		out, err = compiled.Render(data)
		return renderError(err)
	})
	return out, err
}

// renderError maps what stops a message being rendered to a 422: an
// organisation without its postal address can send no email (CAN-SPAM),
// so it cannot preview one either; an output over the limits.
func renderError(err error) error {
	switch {
	case errors.Is(err, template.ErrMissingData):
		e := apperr.Wrap(err, apperr.KindUnprocessable, compliance.ReasonNoPostalAddress, "the organisation's postal address is missing")
		e.Fields = []apperr.FieldError{{Field: "postal_address", Message: "is not set in the organisation's outreach settings: no email can be sent without it"}}
		return e
	case errors.Is(err, template.ErrTooLarge):
		return apperr.Wrap(err, apperr.KindUnprocessable, "rendered_too_large", "the rendered message is over the size limit")
	}
	return err
}

func (s *service) CreateSMSTemplate(ctx context.Context, in SMSTemplateInput) (domain.SMSTemplate, error) {
	p, err := auth.CallerWith(ctx, PermTemplatesWrite)
	if err != nil {
		return domain.SMSTemplate{}, err
	}
	name, err := checkSMSTemplate(in)
	if err != nil {
		return domain.SMSTemplate{}, err
	}
	now := s.now()
	t := domain.SMSTemplate{ID: newID(), OrgID: p.OrgID, Name: name, Body: in.Body, CreatedBy: actorID(p), CreatedAt: now, UpdatedAt: now}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error { return tx.Templates().CreateSMS(ctx, p.OrgID, t) })
	return t, err
}

func (s *service) GetSMSTemplate(ctx context.Context, id string) (domain.SMSTemplate, error) {
	p, err := requireOn(ctx, PermTemplatesRead, id, domain.ReasonTemplateNotFound, "sms template")
	if err != nil {
		return domain.SMSTemplate{}, err
	}
	var t domain.SMSTemplate
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		t, err = tx.Templates().GetSMS(ctx, id)
		return err
	})
	return t, err
}

func (s *service) UpdateSMSTemplate(ctx context.Context, id string, in SMSTemplateInput) (domain.SMSTemplate, error) {
	p, err := requireOn(ctx, PermTemplatesWrite, id, domain.ReasonTemplateNotFound, "sms template")
	if err != nil {
		return domain.SMSTemplate{}, err
	}
	name, err := checkSMSTemplate(in)
	if err != nil {
		return domain.SMSTemplate{}, err
	}
	var t domain.SMSTemplate
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if t, err = tx.Templates().GetSMS(ctx, id); err != nil {
			return err
		}
		t.Name, t.Body, t.UpdatedAt = name, in.Body, s.now()
		return tx.Templates().UpdateSMS(ctx, t)
	})
	return t, err
}

func (s *service) DeleteSMSTemplate(ctx context.Context, id string) error {
	p, err := requireOn(ctx, PermTemplatesWrite, id, domain.ReasonTemplateNotFound, "sms template")
	if err != nil {
		return err
	}
	return s.store.InOrg(ctx, p.OrgID, func(tx Tx) error { return tx.Templates().DeleteSMS(ctx, id) })
}

func (s *service) ListSMSTemplates(ctx context.Context, pr PageRequest) (Page[domain.SMSTemplate], error) {
	p, err := auth.CallerWith(ctx, PermTemplatesRead)
	if err != nil {
		return Page[domain.SMSTemplate]{}, err
	}
	var out Page[domain.SMSTemplate]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		out, err = tx.Templates().ListSMS(ctx, pr)
		return err
	})
	return out, err
}

func (s *service) PreviewSMSTemplate(ctx context.Context, id string, in PreviewInput) (SMSPreview, error) {
	p, err := requireOn(ctx, PermTemplatesRead, id, domain.ReasonTemplateNotFound, "sms template")
	if err != nil {
		return SMSPreview{}, err
	}
	var out SMSPreview
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		t, err := tx.Templates().GetSMS(ctx, id)
		if err != nil {
			return err
		}
		data, err := s.previewData(ctx, tx, p.OrgID, in)
		if err != nil {
			return err
		}
		compiled, err := template.CompileSMS(template.SMSSource{Body: t.Body})
		if err != nil {
			return templateError(err)
		}
		body, err := compiled.Render(data)
		out = SMSPreview{Body: body, Segments: template.Count(body)}
		return renderError(err)
	})
	return out, err
}

// previewData is the merge data of a preview: the sample data, or the
// named lead's from the audience read model (a lead unknown in the
// caller's organisation is a 422 naming lead_id), with the organisation's
// settings. The unsubscribe link of a preview is never a working one: a
// click in a preview must not unsubscribe the lead.
func (s *service) previewData(ctx context.Context, tx Tx, orgID string, in PreviewInput) (template.Data, error) {
	d := template.SampleData()
	d.Unsubscribe = strings.TrimRight(s.cfg.PublicBaseURL, "/") + "/api/v1/compliance/unsubscribe?token=preview"
	if in.LeadID == nil {
		return d, nil
	}
	if !domain.ValidID(*in.LeadID) {
		return d, apperr.Invalid("lead_id", "must be a lead id (UUID)")
	}
	leads, err := tx.Audience().Leads(ctx, []string{*in.LeadID})
	if err != nil {
		return d, err
	}
	l, ok := leads[*in.LeadID]
	if !ok {
		return d, apperr.Invalid("lead_id", "unknown lead")
	}
	st, err := s.settings(ctx, tx, orgID)
	if err != nil {
		return d, err
	}
	c := l.Contact
	d.Contact = template.ContactData{FirstName: c.FirstName, LastName: c.LastName,
		FullName: strings.TrimSpace(c.FirstName + " " + c.LastName), Email: deref(c.Email), Phone: deref(c.Phone)}
	d.Lead = template.LeadData{Stage: l.Status, Source: deref(l.SourceKey), PostalCode: deref(l.PostalCode)}
	if l.Score != nil {
		d.Lead.Score = *l.Score
	}
	d.Org = template.OrgData{Name: st.SenderName, PostalAddress: deref(st.PostalAddress), HelpText: deref(st.HelpText)}
	d.Agent = template.AgentData{FullName: st.SenderName, Email: deref(st.SenderEmail), Phone: deref(st.SMSFrom)}
	return d, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
