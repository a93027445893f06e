package http

import (
	"context"
	"log/slog"
	"net/http"

	"reos.dev/pkg/httpx"
	"reos.dev/services/crm/internal/app"
	"reos.dev/services/crm/internal/domain"
)

// handlers builds one http.Handler per route from a decoder and a call.
type handlers struct {
	svc app.Service
	log *slog.Logger
}

func (h *handlers) listLeads() http.Handler {
	return httpx.Endpoint(h.log, decodeLeadFilter, func(ctx context.Context, f app.LeadFilter) (httpx.List[leadJSON], error) {
		p, err := h.svc.ListLeads(ctx, f)
		return listOut(p, leadOut), err
	}, http.StatusOK)
}

func (h *handlers) searchLeads() http.Handler {
	return httpx.Endpoint(h.log, decodeSearch, func(ctx context.Context, f app.LeadFilter) (httpx.List[leadJSON], error) {
		p, err := h.svc.SearchLeads(ctx, f)
		return listOut(p, leadOut), err
	}, http.StatusOK)
}

func (h *handlers) createLead() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeBody[CreateLeadRequest](), func(ctx context.Context, req CreateLeadRequest) (leadJSON, error) {
		row, err := h.svc.CreateLead(ctx, req.input())
		return leadOut(row), err
	}, http.StatusCreated)
}

func (h *handlers) getLead() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (leadJSON, error) {
		row, err := h.svc.GetLead(ctx, id)
		return leadOut(row), err
	}, http.StatusOK)
}

func (h *handlers) updateLead() http.Handler {
	return httpx.Endpoint(h.log, decodeIDBody[updateLeadRequest](), func(ctx context.Context, req withID[updateLeadRequest]) (leadJSON, error) {
		b := req.Body
		row, err := h.svc.UpdateLead(ctx, req.ID, domain.LeadUpdate{
			Status: b.Status, SourceID: b.SourceID, AssigneeID: b.AssigneeID, BudgetMinCents: b.BudgetMinCents,
			BudgetMaxCents: b.BudgetMaxCents, TargetPriceCents: b.TargetPriceCents, PostalCode: b.PostalCode, PropertyIDs: b.PropertyIDs,
			Tags: b.Tags,
		})
		return leadOut(row), err
	}, http.StatusOK)
}

func (h *handlers) archiveLead() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (httpx.NoContent, error) {
		return httpx.NoContent{}, h.svc.ArchiveLead(ctx, id)
	}, http.StatusNoContent)
}

func (h *handlers) scoreLead() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (domain.Score, error) {
		s, err := h.svc.ScoreLead(ctx, id)
		if s.Factors == nil {
			s.Factors = []domain.Factor{}
		}
		return s, err
	}, http.StatusOK)
}

func (h *handlers) assignLead() http.Handler {
	return httpx.Endpoint(h.log, decodeIDBody[assignRequest](), func(ctx context.Context, req withID[assignRequest]) (leadJSON, error) {
		if !req.Body.UserID.Set {
			return leadJSON{}, invalid("user_id", "is required (null unassigns)")
		}
		row, err := h.svc.AssignLead(ctx, req.ID, req.Body.UserID.Value)
		return leadOut(row), err
	}, http.StatusOK)
}

func (h *handlers) logActivity() http.Handler {
	return httpx.Endpoint(h.log, decodeIDBody[activityRequest](), func(ctx context.Context, req withID[activityRequest]) (activityJSON, error) {
		b := req.Body
		a, err := h.svc.LogActivity(ctx, req.ID, app.ActivityInput{Type: b.Type, Direction: b.Direction, Outcome: b.Outcome, Body: b.Body, OccurredAt: b.OccurredAt.Ptr()})
		return activityOut(a), err
	}, http.StatusCreated)
}

func (h *handlers) addNote() http.Handler {
	return httpx.Endpoint(h.log, decodeIDBody[noteRequest](), func(ctx context.Context, req withID[noteRequest]) (noteJSON, error) {
		n, err := h.svc.AddNote(ctx, req.ID, req.Body.Body)
		return noteOut(n), err
	}, http.StatusCreated)
}

func (h *handlers) leadTimeline() http.Handler {
	return httpx.Endpoint(h.log, decodeIDPage, func(ctx context.Context, req withID[app.PageRequest]) (httpx.List[timelineJSON], error) {
		p, err := h.svc.LeadTimeline(ctx, req.ID, req.Body)
		return listOut(p, timelineOut), err
	}, http.StatusOK)
}

func (h *handlers) listContacts() http.Handler {
	return httpx.Endpoint(h.log, decodeContactFilter, func(ctx context.Context, f app.ContactFilter) (httpx.List[contactJSON], error) {
		p, err := h.svc.ListContacts(ctx, f)
		return listOut(p, contactOut), err
	}, http.StatusOK)
}

func (h *handlers) createContact() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeBody[contactRequest](), func(ctx context.Context, req contactRequest) (contactJSON, error) {
		c, err := h.svc.CreateContact(ctx, req.input())
		return contactOut(c), err
	}, http.StatusCreated)
}

func (h *handlers) getContact() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (contactJSON, error) {
		c, err := h.svc.GetContact(ctx, id)
		return contactOut(c), err
	}, http.StatusOK)
}

func (h *handlers) updateContact() http.Handler {
	return httpx.Endpoint(h.log, decodeIDBody[contactRequest](), func(ctx context.Context, req withID[contactRequest]) (contactJSON, error) {
		c, err := h.svc.UpdateContact(ctx, req.ID, req.Body.input())
		return contactOut(c), err
	}, http.StatusOK)
}

func (h *handlers) listSources() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeNothing, func(ctx context.Context, _ struct{}) (httpx.List[sourceJSON], error) {
		s, err := h.svc.ListSources(ctx)
		return listOut(app.Page[domain.LeadSource]{Items: s}, sourceOut), err
	}, http.StatusOK)
}

func (h *handlers) createSource() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeBody[sourceRequest](), func(ctx context.Context, req sourceRequest) (sourceJSON, error) {
		w := 50
		if req.Weight != nil {
			w = *req.Weight
		}
		s, err := h.svc.CreateSource(ctx, domain.LeadSource{Key: req.Key, Name: req.Name, Weight: w})
		return sourceOut(s), err
	}, http.StatusCreated)
}

func (h *handlers) listStages() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeNothing, func(ctx context.Context, _ struct{}) (httpx.List[stageJSON], error) {
		s, err := h.svc.ListStages(ctx)
		return listOut(app.Page[domain.Stage]{Items: s}, stageOut), err
	}, http.StatusOK)
}

func (h *handlers) createStage() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeBody[stageRequest](), func(ctx context.Context, req stageRequest) (stageJSON, error) {
		s, err := h.svc.CreateStage(ctx, domain.Stage{Key: req.Key, Name: req.Name, Probability: req.Probability, Position: req.Position, Kind: req.Kind})
		return stageOut(s), err
	}, http.StatusCreated)
}

func (h *handlers) listDeals() http.Handler {
	return httpx.Endpoint(h.log, decodeDealFilter, func(ctx context.Context, f app.DealFilter) (httpx.List[dealJSON], error) {
		p, err := h.svc.ListDeals(ctx, f)
		return listOut(p, dealOut), err
	}, http.StatusOK)
}

func (h *handlers) createDeal() http.Handler {
	return httpx.Endpoint(h.log, httpx.DecodeBody[dealRequest](), func(ctx context.Context, req dealRequest) (dealJSON, error) {
		d, err := h.svc.CreateDeal(ctx, app.DealInput{
			LeadID: req.LeadID, Title: req.Title, ValueCents: req.ValueCents, Currency: req.Currency, StageID: req.StageID,
			Stage: req.Stage, PropertyID: req.PropertyID, AssigneeID: req.AssigneeID, ExpectedCloseDate: req.ExpectedCloseDate,
		})
		return dealOut(d), err
	}, http.StatusCreated)
}

func (h *handlers) getDeal() http.Handler {
	return httpx.Endpoint(h.log, decodeID, func(ctx context.Context, id string) (dealJSON, error) {
		d, err := h.svc.GetDeal(ctx, id)
		return dealOut(d), err
	}, http.StatusOK)
}

func (h *handlers) updateDeal() http.Handler {
	return httpx.Endpoint(h.log, decodeIDBody[dealUpdateRequest](), func(ctx context.Context, req withID[dealUpdateRequest]) (dealJSON, error) {
		b := req.Body
		d, err := h.svc.UpdateDeal(ctx, req.ID, app.DealUpdate{
			Title: b.Title, ValueCents: b.ValueCents, Currency: b.Currency, PropertyID: b.PropertyID,
			AssigneeID: b.AssigneeID, ExpectedCloseDate: b.ExpectedCloseDate,
		})
		return dealOut(d), err
	}, http.StatusOK)
}

func (h *handlers) moveDeal() http.Handler {
	return httpx.Endpoint(h.log, decodeIDBody[stageMoveRequest](), func(ctx context.Context, req withID[stageMoveRequest]) (dealJSON, error) {
		d, err := h.svc.MoveDeal(ctx, req.ID, app.StageMove{StageID: req.Body.StageID, Stage: req.Body.Stage})
		return dealOut(d), err
	}, http.StatusOK)
}

func (h *handlers) dealTimeline() http.Handler {
	return httpx.Endpoint(h.log, decodeIDPage, func(ctx context.Context, req withID[app.PageRequest]) (httpx.List[timelineJSON], error) {
		p, err := h.svc.DealTimeline(ctx, req.ID, req.Body)
		return listOut(p, timelineOut), err
	}, http.StatusOK)
}
