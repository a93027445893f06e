-- The send engine (issue 10): where each target is in its sequence, when a
-- running campaign next has work, the attempt outcomes the engine records,
-- and the cross-organisation lookups of the scheduler and the provider
-- webhooks (SECURITY DEFINER, ids only).

-- Every target walks the campaign's steps: next_step is the step it is
-- due for, due_at when (NULL once done or stopped). A target is claimed
-- by moving due_at a lease ahead, so a step that died mid-batch gives its
-- targets back when the lease runs out. done: every step has a final
-- attempt. stage is the lead's status when frozen (stop on stage change).
ALTER TABLE campaign_targets DROP CONSTRAINT campaign_targets_state_check;
ALTER TABLE campaign_targets ADD CONSTRAINT campaign_targets_state_check CHECK (state IN ('active', 'stopped', 'done'));
ALTER TABLE campaign_targets ADD COLUMN stage text;
ALTER TABLE campaign_targets ADD COLUMN next_step integer NOT NULL DEFAULT 1 CHECK (next_step BETWEEN 1 AND 51);
ALTER TABLE campaign_targets ADD COLUMN due_at timestamptz;
-- When the target's previous step went out (a delay counts from it).
ALTER TABLE campaign_targets ADD COLUMN last_sent_at timestamptz;
ALTER TABLE campaign_targets ADD CONSTRAINT campaign_targets_due CHECK ((state = 'active') = (due_at IS NOT NULL));
CREATE INDEX campaign_targets_due_idx ON campaign_targets (org_id, campaign_id, due_at, lead_id) WHERE state = 'active';

-- A running campaign whose step chain ended with work still to come (a
-- later step, a deferred text, a retry) waits for next_wake_at; NULL
-- while a step job is on its way (or when nothing is left). The
-- scheduler enqueues the next step when it is due.
ALTER TABLE campaigns ADD COLUMN next_wake_at timestamptz;
ALTER TABLE campaigns ADD COLUMN target_count integer NOT NULL DEFAULT 0 CHECK (target_count >= 0);
CREATE INDEX campaigns_wake_idx ON campaigns (next_wake_at) WHERE status = 'running' AND next_wake_at IS NOT NULL;

-- unknown: an SMTP message whose outcome was lost (the connection broke
-- after the data, or the process died mid-send): at most once, so it is
-- never sent again, and it is shown. detail refines the reason (the gate's
-- Detail, the provider's code). template_id: a single send's template.
ALTER TABLE outreach_attempts DROP CONSTRAINT outreach_attempts_status_check;
ALTER TABLE outreach_attempts ADD CONSTRAINT outreach_attempts_status_check
    CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'bounced', 'complained', 'blocked', 'deferred', 'failed', 'unknown'));
ALTER TABLE outreach_attempts ADD COLUMN detail text CHECK (char_length(detail) <= 2000);
ALTER TABLE outreach_attempts ADD COLUMN template_id uuid;
ALTER TABLE outreach_attempts ADD COLUMN complained_at timestamptz;
ALTER TABLE outreach_attempts ADD COLUMN bounced_at timestamptz;
CREATE INDEX outreach_attempts_address_idx ON outreach_attempts (org_id, channel, address, queued_at DESC) WHERE address IS NOT NULL;

-- The owner reads across organisations for these functions' sake only
-- (it could lift the policies anyway: this grants it nothing new).
DO $$
BEGIN
    EXECUTE format('CREATE POLICY campaigns_engine ON campaigns FOR SELECT TO %I USING (true)', current_user);
    EXECUTE format('CREATE POLICY attempts_engine ON outreach_attempts FOR SELECT TO %I USING (true)', current_user);
    EXECUTE format('CREATE POLICY settings_engine ON settings FOR SELECT TO %I USING (true)', current_user);
END
$$;

-- The scheduler's scan: scheduled campaigns whose start has come, and
-- running campaigns whose next work is due (ids only).
CREATE FUNCTION outreach_due_campaigns(p_now timestamptz, p_limit integer)
RETURNS TABLE (org_id uuid, campaign_id uuid)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    (SELECT c.org_id, c.id FROM outreach.campaigns c
     WHERE c.status = 'scheduled' AND c.scheduled_at <= p_now ORDER BY c.scheduled_at LIMIT least(greatest(p_limit, 0), 1000))
    UNION ALL
    (SELECT c.org_id, c.id FROM outreach.campaigns c
     WHERE c.status = 'running' AND c.next_wake_at <= p_now ORDER BY c.next_wake_at LIMIT least(greatest(p_limit, 0), 1000))
$$;

-- A provider event that names no message key: the organisation of the
-- attempt with that provider message id.
CREATE FUNCTION outreach_attempt_org(p_provider text, p_provider_message_id text)
RETURNS uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    SELECT a.org_id FROM outreach.outreach_attempts a
    WHERE a.provider = p_provider AND a.provider_message_id = p_provider_message_id LIMIT 1
$$;

-- An inbound text: the organisations that send from the number it was
-- sent to, else those that last texted its sender (at most a few).
CREATE FUNCTION outreach_inbound_orgs(p_to text, p_from text)
RETURNS SETOF uuid
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp
AS $$
    WITH by_number AS (SELECT s.org_id FROM outreach.settings s WHERE s.sms_from = p_to),
    by_sender AS (
        SELECT a.org_id FROM outreach.outreach_attempts a
        WHERE a.channel = 'sms' AND a.address = p_from AND a.provider_message_id IS NOT NULL
        GROUP BY a.org_id ORDER BY max(a.queued_at) DESC LIMIT 10)
    SELECT org_id FROM by_number
    UNION ALL
    SELECT org_id FROM by_sender WHERE NOT EXISTS (SELECT 1 FROM by_number)
$$;

REVOKE ALL ON FUNCTION outreach_due_campaigns(timestamptz, integer) FROM PUBLIC;
REVOKE ALL ON FUNCTION outreach_attempt_org(text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION outreach_inbound_orgs(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION outreach_due_campaigns(timestamptz, integer) TO outreach_app;
GRANT EXECUTE ON FUNCTION outreach_attempt_org(text, text) TO outreach_app;
GRANT EXECUTE ON FUNCTION outreach_inbound_orgs(text, text) TO outreach_app;
