package domain

import (
	"errors"
	"testing"
	"time"

	"reos.dev/pkg/apperr"
	"reos.dev/services/outreach/internal/domain/compliance"
)

func TestLaunchFromEachStatus(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	later := now.Add(time.Hour)
	delay := time.Duration(0)
	base := Campaign{Audience: AudienceFilter, Steps: []Step{{Step: 1, Channel: compliance.SMS, Delay: &delay}}, ScheduledAt: &later}
	for _, tc := range []struct {
		from    CampaignStatus
		startAt *time.Time
		want    CampaignStatus
		started bool
		kind    error
	}{
		{StatusDraft, nil, StatusRunning, true, nil},
		{StatusDraft, &later, StatusScheduled, false, nil},
		{StatusScheduled, nil, StatusRunning, true, nil},
		{StatusMissed, nil, StatusRunning, true, nil},
		{StatusPaused, nil, StatusPaused, false, apperr.ErrConflict},
		{StatusRunning, nil, StatusRunning, false, apperr.ErrConflict},
		{StatusCompleted, nil, StatusCompleted, false, apperr.ErrConflict},
		{StatusCancelled, nil, StatusCancelled, false, apperr.ErrConflict},
	} {
		t.Run(string(tc.from), func(t *testing.T) {
			c := base
			c.Status = tc.from
			started, err := c.Launch(now, tc.startAt)
			if !errors.Is(err, tc.kind) || (tc.kind == nil && err != nil) || started != tc.started || c.Status != tc.want {
				t.Fatalf("launch from %s: started %v, %s, %v", tc.from, started, c.Status, err)
			}
			if started && (c.LaunchedAt == nil || !c.LaunchedAt.Equal(now)) {
				t.Fatalf("launched at %v", c.LaunchedAt)
			}
		})
	}
}

func TestStartScheduledHonoursTheGracePeriod(t *testing.T) {
	t.Parallel()
	start := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name    string
		late    time.Duration
		want    CampaignStatus
		started bool
	}{
		{"before the start", -time.Second, StatusScheduled, false},
		{"on time", 0, StatusRunning, true},
		{"at the grace period's end", time.Hour, StatusRunning, true},
		{"past the grace period", time.Hour + time.Second, StatusMissed, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := Campaign{Status: StatusScheduled, ScheduledAt: &start, GracePeriod: time.Hour}
			if started := c.StartScheduled(start.Add(tc.late)); started != tc.started || c.Status != tc.want {
				t.Fatalf("%s late: started %v, %s", tc.late, started, c.Status)
			}
		})
	}
}

func TestTargetAdvancesThroughTheSteps(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 6, 1, 12, 0, 0, 0, time.UTC)
	day := 24 * time.Hour
	at := now.Add(72 * time.Hour)
	steps := []Step{{Step: 1, Delay: new(time.Duration)}, {Step: 2, Delay: &day}, {Step: 3, SendAt: &at}}
	tg := Target{State: TargetActive, NextStep: 1}
	sent := now.Add(time.Minute)
	tg.Advance(steps, &sent, now)
	if tg.NextStep != 2 || !tg.DueAt.Equal(sent.Add(day)) || !tg.LastSentAt.Equal(sent) {
		t.Fatalf("after step 1: %+v", tg)
	}
	tg.Advance(steps, nil, now) // blocked: counted from now
	if tg.NextStep != 3 || !tg.DueAt.Equal(at) {
		t.Fatalf("after step 2: %+v", tg)
	}
	tg.Advance(steps, nil, now)
	if tg.State != TargetDone || tg.DueAt != nil {
		t.Fatalf("after the last step: %+v", tg)
	}
}

func TestMessageKeys(t *testing.T) {
	t.Parallel()
	org, c, l := "0190a8a0-0000-7000-8000-000000000001", "0190a8a0-0000-7000-8000-000000000002", "0190a8a0-0000-7000-8000-000000000003"
	k := CampaignMessageKey(org, c, l, 2, compliance.Email)
	if k != CampaignMessageKey(org, c, l, 2, compliance.Email) || k == CampaignMessageKey(org, c, l, 3, compliance.Email) ||
		k == CampaignMessageKey(org, c, l, 2, compliance.SMS) {
		t.Fatal("the campaign key is not (campaign, target, step, channel)")
	}
	if KeyOrg(k) != org || KeyOrg(SingleMessageKey(org, compliance.SMS, "abc")) != org || KeyOrg("o"+org) != "" || KeyOrg("x") != "" {
		t.Fatal("KeyOrg does not find the organisation")
	}
	if SingleMessageKey(org, compliance.SMS, "abc") == SingleMessageKey(org, compliance.SMS, "", "abc") {
		t.Fatal("a given key and a derived one collide")
	}
	if len(k) > 200 || len(SingleMessageKey(org, compliance.Email, "k")) > 200 {
		t.Fatal("keys over the column's bound")
	}
}
