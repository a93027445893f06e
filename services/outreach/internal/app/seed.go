package app

import (
	"context"
	"errors"

	"github.com/google/uuid"

	"reos.dev/pkg/apperr"
	"reos.dev/services/outreach/internal/domain"
)

// SeedReport says what SeedDemo did: one line per thing created; Changed
// is false when everything was there already.
type SeedReport struct {
	Lines   []string
	Changed bool
}

// seedNamespace makes the demo rows' ids deterministic per organisation,
// so seeding twice finds them instead of creating copies.
var seedNamespace = uuid.MustParse("5b0c7b9e-2f4a-4b7e-9a61-0e7d3c1f8a42")

func seedID(orgID, name string) string {
	return uuid.NewSHA1(seedNamespace, []byte(orgID+"/"+name)).String()
}

// The demo content (it compiles with the template package's fields).
const (
	demoEmailName    = "Demo: new listings near you"
	demoEmailSubject = "New listings near {{ .lead.postal_code }}, {{ .contact.first_name }}"
	demoEmailHTML    = `<p>Hi {{ .contact.first_name }},</p>
<p>Three new homes just came on the market near {{ .lead.postal_code }}. Want a tour this week?</p>
<p>{{ .agent.full_name }}<br>{{ .org.name }}</p>
<p><small>{{ .org.postal_address }} · <a href="{{ .unsubscribe_url }}">Unsubscribe</a></small></p>`
	demoSMSName     = "Demo: tour follow-up"
	demoSMSBody     = "Hi {{ .contact.first_name }}, it's {{ .agent.full_name }} from {{ .org.name }}. Still keen on a tour? Reply STOP to opt out."
	demoCampaign    = "Demo: spring open houses"
	demoSMSDelaySec = 2 * 24 * 60 * 60
)

// SeedDemo creates orgID's demo email and SMS templates and a draft
// two-step campaign that uses them, each unless it exists (found by its
// deterministic id). It runs as the system, not a caller.
func (s *service) SeedDemo(ctx context.Context, orgID string) (SeedReport, error) {
	if !domain.ValidID(orgID) {
		return SeedReport{}, errors.New("seed: the organisation id is not a UUID")
	}
	var rep SeedReport
	now := s.now()
	emailID, smsID, campaignID := seedID(orgID, "email"), seedID(orgID, "sms"), seedID(orgID, "campaign")
	err := s.store.InOrg(ctx, orgID, func(tx Tx) error {
		if _, err := tx.Templates().GetEmail(ctx, emailID); apperr.KindOf(err) == apperr.KindNotFound {
			if _, err := checkEmailTemplate(EmailTemplateInput{Name: demoEmailName, Subject: demoEmailSubject, HTML: demoEmailHTML}); err != nil {
				return err
			}
			t := domain.EmailTemplate{ID: emailID, OrgID: orgID, Name: demoEmailName, Subject: demoEmailSubject, HTML: demoEmailHTML, CreatedAt: now, UpdatedAt: now}
			if err := tx.Templates().CreateEmail(ctx, orgID, t); err != nil {
				return err
			}
			rep.Lines = append(rep.Lines, "email template "+demoEmailName)
		} else if err != nil {
			return err
		}
		if _, err := tx.Templates().GetSMS(ctx, smsID); apperr.KindOf(err) == apperr.KindNotFound {
			if _, err := checkSMSTemplate(SMSTemplateInput{Name: demoSMSName, Body: demoSMSBody}); err != nil {
				return err
			}
			t := domain.SMSTemplate{ID: smsID, OrgID: orgID, Name: demoSMSName, Body: demoSMSBody, CreatedAt: now, UpdatedAt: now}
			if err := tx.Templates().CreateSMS(ctx, orgID, t); err != nil {
				return err
			}
			rep.Lines = append(rep.Lines, "sms template "+demoSMSName)
		} else if err != nil {
			return err
		}
		if _, err := tx.Campaigns().Get(ctx, campaignID); apperr.KindOf(err) != apperr.KindNotFound {
			return err
		}
		zero, later := 0, demoSMSDelaySec
		c, err := domain.NewCampaign(campaignID, orgID, nil, domain.CampaignInput{Name: demoCampaign, Steps: []domain.StepInput{
			{Channel: "email", TemplateID: emailID, DelaySeconds: &zero},
			{Channel: "sms", TemplateID: smsID, DelaySeconds: &later},
		}}, now)
		if err != nil {
			return err
		}
		if err := tx.Campaigns().Create(ctx, c); err != nil {
			return err
		}
		rep.Lines = append(rep.Lines, "draft campaign "+demoCampaign)
		return nil
	})
	rep.Changed = len(rep.Lines) > 0
	return rep, err
}
