package postgres

import (
	"context"
	"fmt"

	"reos.dev/pkg/postgres"
	"reos.dev/services/outreach/internal/domain"
)

const (
	sqlGetSettings = `SELECT org_id::text, sender_name, sender_email, reply_to, sms_from, postal_address, help_text, time_zone, updated_at, updated_by::text
FROM outreach.settings`
	sqlSaveSettings = `INSERT INTO outreach.settings (org_id, sender_name, sender_email, reply_to, sms_from, postal_address, help_text, time_zone, updated_at, updated_by)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (org_id) DO UPDATE SET sender_name = EXCLUDED.sender_name, sender_email = EXCLUDED.sender_email,
    reply_to = EXCLUDED.reply_to, sms_from = EXCLUDED.sms_from, postal_address = EXCLUDED.postal_address,
    help_text = EXCLUDED.help_text, time_zone = EXCLUDED.time_zone, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by`
)

func (r settingsRepo) Get(ctx context.Context) (domain.Settings, bool, error) {
	var s domain.Settings
	err := r.tx.QueryRow(ctx, sqlGetSettings).Scan(&s.OrgID, &s.SenderName, &s.SenderEmail, &s.ReplyTo, &s.SMSFrom,
		&s.PostalAddress, &s.HelpText, &s.TimeZone, &s.UpdatedAt, &s.UpdatedBy)
	if postgres.IsNoRows(err) {
		return domain.Settings{}, false, nil
	}
	if err != nil {
		return domain.Settings{}, false, fmt.Errorf("get settings: %w", err)
	}
	return s, true, nil
}

func (r settingsRepo) Save(ctx context.Context, s domain.Settings) error {
	if _, err := r.tx.Exec(ctx, sqlSaveSettings, s.OrgID, s.SenderName, s.SenderEmail, s.ReplyTo, s.SMSFrom,
		s.PostalAddress, s.HelpText, s.TimeZone, s.UpdatedAt, s.UpdatedBy); err != nil {
		return fmt.Errorf("save settings: %w", err)
	}
	return nil
}
