package app

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"reos.dev/services/outreach/internal/domain"
	"reos.dev/services/outreach/internal/domain/compliance"
	"reos.dev/services/outreach/internal/domain/template"
	"reos.dev/services/outreach/internal/domain/unsubscribe"
	"reos.dev/services/outreach/internal/provider"
)

// One message's way, the same for a campaign's step and a single send:
//
//  1. its attempt is recorded under its deterministic key before anything
//     else (Attempts().Ensure: a key seen before returns the attempt it
//     names, in whatever state a crash, retry or replay left it);
//  2. the one gate decides (gate: the facts from the compliance lists and
//     the read models, compliance.Decide) and the decision is recorded on
//     the attempt: blocked, deferred with its not-before, or sending;
//  3. the transaction commits, and only then is the provider called, with
//     the key as its idempotency key (deliver);
//  4. a second transaction records the answer (settle): sent with the
//     provider's id, failed (permanent), queued again after Retry-After
//     (temporary), or unknown (SMTP lost the outcome).
//
// A crash between 3 and 4 leaves the attempt sending. It is sent again only
// through a provider that is idempotent by key (resendable); SMTP has no
// such key, so the attempt becomes unknown: at most once, and shown.

// Recipient is a channel and a normalised address (the compliance lists' key).
type Recipient struct {
	Channel compliance.Channel
	Address string
}

// RecipientFacts are what the compliance lists say about a recipient.
type RecipientFacts struct {
	Unsubscribed bool
	DoNotCall    bool
	Suppressed   string
	Consent      compliance.ConsentState
}

// message is one message on its way.
type message struct {
	attempt domain.Attempt
	// was is the status the attempt had when this run found it.
	was      domain.AttemptStatus
	target   *domain.Target // nil for a single send
	zoneHint recipientZone
	data     template.Data
	email    *template.EmailTemplate
	sms      *template.SMSTemplate
	// ungated: a keyword's answer (the recipient's own request), which
	// the gate's opt-out rules do not apply to.
	ungated  bool
	body     string // a reply's text (no template)
	decision compliance.Decision
	// The provider's answer.
	result    provider.Result
	err       error
	attempted bool // the provider was called
}

// recipientZone is what the recipient's zone is told from.
type recipientZone struct{ stored, postal string }

// resendable reports whether an attempt found sending after a crash may
// be sent again: only through a provider that deduplicates by our key.
func resendable(providerName string) bool {
	switch providerName {
	case "mock", "sendgrid", "twilio":
		return true
	}
	return false
}

// gate runs the compliance gate for ms in tx: the facts of every
// recipient in one query, the organisation's postal address and zone from
// st, then compliance.Decide for each.
func gate(ctx context.Context, tx Tx, st domain.Settings, ms []*message, now time.Time) error {
	recs := make([]Recipient, 0, len(ms))
	for _, m := range ms {
		if m.attempt.Address != nil {
			recs = append(recs, Recipient{Channel: m.attempt.Channel, Address: *m.attempt.Address})
		}
	}
	facts, err := tx.Compliance().Facts(ctx, recs)
	if err != nil {
		return err
	}
	postal := deref(st.PostalAddress)
	for _, m := range ms {
		f := compliance.Facts{Channel: m.attempt.Channel, Address: deref(m.attempt.Address), PostalAddress: postal}
		if m.attempt.Address != nil {
			rf := facts[Recipient{Channel: m.attempt.Channel, Address: *m.attempt.Address}]
			f.Unsubscribed, f.DoNotCall, f.Suppressed, f.Consent = rf.Unsubscribed, rf.DoNotCall, rf.Suppressed, rf.Consent
		}
		if m.attempt.Channel == compliance.SMS {
			f.Zones = compliance.ZonesFor(m.zoneHint.stored, m.zoneHint.postal, "", f.Address, st.TimeZone)
		}
		if m.ungated {
			m.decision = compliance.Decision{Outcome: compliance.Send}
			continue
		}
		m.decision = compliance.Decide(f, now)
	}
	return nil
}

// decided records m's gate decision on its attempt. It returns the event
// the decision announces ("" for none).
func (m *message) decided(providerName string, now time.Time) string {
	a := &m.attempt
	a.UpdatedAt = now
	switch m.decision.Outcome {
	case compliance.Block:
		a.Status, a.Reason, a.Detail, a.NotBefore = domain.AttemptBlocked, ptr(m.decision.Reason), optional(m.decision.Detail), nil
		return EventMessageBlocked
	case compliance.Defer:
		nb := m.decision.NotBefore.UTC()
		a.Status, a.Reason, a.Detail, a.NotBefore = domain.AttemptDeferred, ptr(m.decision.Reason), optional(m.decision.Detail), &nb
		if m.was == domain.AttemptDeferred {
			return "" // announced when first deferred
		}
		return EventMessageDeferred
	}
	a.Status, a.Provider, a.NotBefore, a.Detail = domain.AttemptSending, &providerName, nil, optional(m.decision.Detail)
	a.Reason = nil
	a.Tries++
	return ""
}

// deliver renders and sends each message of ms that its gate let through
// (status sending), at most SendConcurrency at a time. Before each,
// running says whether it may still go (pause and cancel take effect
// before the next message); one that may not is left unattempted.
func (s *service) deliver(ctx context.Context, orgID string, st domain.Settings, ms []*message, running func() bool) {
	work := make(chan *message)
	var wg sync.WaitGroup
	for range max(1, min(s.cfg.SendConcurrency, len(ms))) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range work {
				if running == nil || running() {
					m.attempted = true
					m.result, m.err = s.send(ctx, orgID, st, m)
				}
			}
		}()
	}
	for _, m := range ms {
		if m.attempt.Status == domain.AttemptSending && ctx.Err() == nil {
			work <- m
		}
	}
	close(work)
	wg.Wait()
}

// errRender marks a message that could not be rendered: a permanent
// failure of the message, not the provider's.
var errRender = errors.New("render")

// send renders m and hands it to its channel's provider with its key.
func (s *service) send(ctx context.Context, orgID string, st domain.Settings, m *message) (provider.Result, error) {
	a := &m.attempt
	if a.Channel == compliance.SMS {
		body := m.body
		if m.sms != nil {
			var err error
			if body, err = m.sms.Render(m.data); err != nil {
				return provider.Result{}, errors.Join(errRender, err)
			}
		}
		return s.sms.SendSMS(ctx, provider.SMSMessage{Key: a.MessageKey, OrgID: orgID, From: s.smsFrom(st), To: deref(a.Address), Body: body})
	}
	if m.email == nil {
		return provider.Result{}, errors.Join(errRender, errors.New("no email template"))
	}
	out, err := m.email.Render(m.data)
	if err != nil {
		return provider.Result{}, errors.Join(errRender, err)
	}
	subject := out.Subject
	a.Subject = &subject
	return s.email.SendEmail(ctx, provider.EmailMessage{Key: a.MessageKey, OrgID: orgID, From: s.emailFrom(st), ReplyTo: deref(st.ReplyTo),
		To: deref(a.Address), Subject: out.Subject, HTML: out.HTML, Text: out.Text, UnsubscribeURL: m.data.Unsubscribe,
		PostalAddress: deref(st.PostalAddress)})
}

// settle records the provider's answer on m's attempt (and moves its
// target) at now. It returns the event the answer announces ("" for none).
func (m *message) settle(steps []domain.Step, now time.Time) string {
	a := &m.attempt
	if a.Status != domain.AttemptSending {
		return ""
	}
	a.UpdatedAt = now
	if !m.attempted {
		// Paused or cancelled before its turn: back in the queue, its try
		// not spent; the target is due again at once (resume picks it up).
		a.Status, a.Tries = domain.AttemptQueued, max(a.Tries-1, 0)
		if m.target != nil {
			m.target.DueAgainAt(now)
		}
		return ""
	}
	if m.err == nil {
		sentAt := now
		a.Status, a.SentAt, a.Reason = domain.AttemptSent, &sentAt, nil
		if m.result.Provider != "" {
			a.Provider = &m.result.Provider
		}
		if m.result.ProviderMessageID != "" {
			a.ProviderMessageID = &m.result.ProviderMessageID
		}
		if m.target != nil {
			m.target.Advance(steps, &sentAt, now)
		}
		return EventMessageSent
	}
	var pe *provider.Error
	isProvider := errors.As(m.err, &pe)
	switch {
	case errors.Is(m.err, errRender):
		a.Status, a.Reason, a.Detail = domain.AttemptFailed, ptr(domain.ReasonNoTemplate), ptr(truncate(m.err.Error(), 500))
	case isProvider && pe.Code == provider.CodeOutcomeUnknown:
		a.Status, a.Reason = domain.AttemptUnknown, ptr(domain.ReasonOutcomeUnknown)
	case isProvider && pe.Permanent:
		a.Status, a.Reason, a.Detail = domain.AttemptFailed, ptr(orDefault(pe.Code, "permanent")), ptr(truncate(m.err.Error(), 500))
	case a.Tries >= domain.MaxTries:
		a.Status, a.Reason, a.Detail = domain.AttemptFailed, ptr(domain.ReasonTooManyTries), ptr(truncate(m.err.Error(), 500))
	default:
		wait := retryDelay(a.Tries)
		if isProvider && pe.RetryAfter > 0 {
			wait = pe.RetryAfter
		}
		nb := now.Add(wait)
		a.Status, a.NotBefore, a.Detail = domain.AttemptQueued, &nb, ptr(truncate(m.err.Error(), 500))
		if m.target != nil {
			m.target.DueAgainAt(nb)
		}
		return EventMessageQueued
	}
	if m.target != nil {
		m.target.Advance(steps, nil, now)
	}
	return ""
}

// retryDelay is the wait before try n+1 after a temporary failure without
// Retry-After: 30 s, 1 min, 2 min …
func retryDelay(tries int) time.Duration {
	return 30 * time.Second << max(tries-1, 0)
}

// mergeData is the template data of a message to a target of a lead.
func (s *service) mergeData(orgID string, st domain.Settings, t domain.Target, lead *domain.AudienceLead, ch compliance.Channel,
	address, campaignID string) (template.Data, error) {
	d := template.Data{
		Contact: template.ContactData{FirstName: t.FirstName, LastName: t.LastName, FullName: strings.TrimSpace(t.FirstName + " " + t.LastName),
			Email: deref(t.Email), Phone: deref(t.Phone)},
		Org:   template.OrgData{Name: st.SenderName, PostalAddress: deref(st.PostalAddress), HelpText: deref(st.HelpText)},
		Agent: template.AgentData{FullName: st.SenderName, Email: deref(st.SenderEmail), Phone: deref(st.SMSFrom)},
	}
	if lead != nil {
		d.Lead = template.LeadData{Stage: lead.Status, Source: deref(lead.SourceKey), PostalCode: deref(lead.PostalCode)}
		if lead.Score != nil {
			d.Lead.Score = *lead.Score
		}
	}
	if address == "" {
		return d, nil
	}
	token, err := s.tokens.Sign(unsubscribe.Claims{OrgID: orgID, Channel: string(ch), Address: address, ContactID: t.ContactID,
		LeadID: t.LeadID, CampaignID: campaignID})
	if err != nil {
		return d, err
	}
	d.Unsubscribe = strings.TrimRight(s.cfg.PublicBaseURL, "/") + "/api/v1/compliance/unsubscribe?token=" + token
	return d, nil
}

func (s *service) emailFrom(st domain.Settings) string {
	if st.SenderEmail == nil {
		return s.cfg.DefaultFrom
	}
	if st.SenderName == "" {
		return *st.SenderEmail
	}
	return `"` + strings.ReplaceAll(st.SenderName, `"`, "") + `" <` + *st.SenderEmail + ">"
}

func (s *service) smsFrom(st domain.Settings) string {
	if st.SMSFrom == nil {
		return s.cfg.DefaultSMSFrom
	}
	return *st.SMSFrom
}

// templateCache compiles each template a run sends once.
type templateCache struct {
	email map[string]*template.EmailTemplate
	sms   map[string]*template.SMSTemplate
}

func newTemplateCache() *templateCache {
	return &templateCache{email: map[string]*template.EmailTemplate{}, sms: map[string]*template.SMSTemplate{}}
}

// load compiles the template of a step's channel (nil, nil: it no longer
// compiles; the message fails with template_error).
func (c *templateCache) load(ctx context.Context, tx Tx, ch compliance.Channel, id string) (*template.EmailTemplate, *template.SMSTemplate, error) {
	if ch == compliance.SMS {
		if t, ok := c.sms[id]; ok {
			return nil, t, nil
		}
		t, err := tx.Templates().GetSMS(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		compiled, err := template.CompileSMS(template.SMSSource{Body: t.Body})
		if err != nil {
			compiled = nil
		}
		c.sms[id] = compiled
		return nil, compiled, nil
	}
	if t, ok := c.email[id]; ok {
		return t, nil, nil
	}
	t, err := tx.Templates().GetEmail(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	src := template.EmailSource{Subject: t.Subject, HTML: t.HTML}
	if t.Text != nil {
		src.Text = *t.Text
	}
	compiled, err := template.CompileEmail(src)
	if err != nil {
		compiled = nil
	}
	c.email[id] = compiled
	return compiled, nil, nil
}

func ptr[T any](v T) *T { return &v }

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8Start(s[n]) {
		n--
	}
	return s[:n]
}

func utf8Start(b byte) bool { return b&0xC0 != 0x80 }
