package app

import (
	"context"
	"encoding/json"

	"reos.dev/pkg/auth"
	"reos.dev/services/property/internal/domain"
)

func (s *service) CreateProperty(ctx context.Context, f domain.PropertyFields) (domain.Property, error) {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesWrite)
	if err != nil {
		return domain.Property{}, err
	}
	prop, err := domain.NewProperty(newID(), p.OrgID, f, s.now())
	if err != nil {
		return domain.Property{}, err
	}
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error { return createProperty(ctx, tx, prop, actorID(p)) })
	return prop, err
}

// createProperty stores a new property with its history and created event.
func createProperty(ctx context.Context, tx Tx, prop domain.Property, actor string) error {
	if err := tx.Properties().Create(ctx, prop); err != nil {
		return err
	}
	if err := tx.History().Append(ctx, prop.ID, actor, prop.CreatedAt, domain.CreationChanges(prop)); err != nil {
		return err
	}
	price := prop.ListPriceCents
	return tx.Events().Publish(ctx, EventPropertyCreated, prop.ID, prop.OrgID, propertyEventData{
		PropertyID: prop.ID, OrgID: prop.OrgID, ListingKey: prop.ListingKey, PropertyType: prop.PropertyType,
		StandardStatus: prop.StandardStatus, ListPriceCents: &price, City: prop.City, PostalCode: prop.PostalCode,
		ActorID: actor,
	})
}

func (s *service) GetProperty(ctx context.Context, id string) (domain.Property, error) {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesRead)
	if err != nil {
		return domain.Property{}, err
	}
	if err := parseID("id", id); err != nil {
		return domain.Property{}, err
	}
	var prop domain.Property
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		prop, err = tx.Properties().Get(ctx, id)
		return err
	})
	return prop, err
}

func (s *service) UpdateProperty(ctx context.Context, id string, f domain.PropertyFields) (domain.Property, error) {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesWrite)
	if err != nil {
		return domain.Property{}, err
	}
	if err := parseID("id", id); err != nil {
		return domain.Property{}, err
	}
	var prop domain.Property
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if prop, err = tx.Properties().GetForUpdate(ctx, id); err != nil {
			return err
		}
		oldPrice := prop.ListPriceCents
		changes, err := prop.Update(f, s.now())
		if err != nil || len(changes) == 0 {
			return err // nothing changed: nothing written, nothing announced
		}
		if err := tx.Properties().Update(ctx, prop); err != nil {
			return err
		}
		return s.recordPropertyChange(ctx, tx, prop, changes, actorID(p), oldPrice)
	})
	return prop, err
}

func (s *service) recordPropertyChange(ctx context.Context, tx Tx, prop domain.Property, changes []domain.Change, actor string, oldPrice int64) error {
	if err := tx.History().Append(ctx, prop.ID, actor, prop.UpdatedAt, changes); err != nil {
		return err
	}
	fields := make([]string, len(changes))
	for i, c := range changes {
		fields[i] = c.Field
	}
	if err := tx.Events().Publish(ctx, EventPropertyUpdated, prop.ID, prop.OrgID, propertyEventData{
		PropertyID: prop.ID, OrgID: prop.OrgID, Fields: fields, ActorID: actor,
	}); err != nil {
		return err
	}
	if prop.ListPriceCents != oldPrice {
		return tx.Events().Publish(ctx, EventListingPriceChanged, prop.ID, prop.OrgID, priceChangedData{
			PropertyID: prop.ID, OrgID: prop.OrgID, Source: "property",
			OldPriceCents: oldPrice, NewPriceCents: prop.ListPriceCents, ActorID: actor,
		})
	}
	return nil
}

func (s *service) ArchiveProperty(ctx context.Context, id string) error {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesWrite)
	if err != nil {
		return err
	}
	if err := parseID("id", id); err != nil {
		return err
	}
	return s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		prop, err := tx.Properties().GetForUpdate(ctx, id)
		if err != nil {
			return err
		}
		changes, archived := prop.Archive(s.now())
		if !archived {
			return nil // archiving twice is a no-op: DELETE is idempotent
		}
		if err := tx.Properties().Update(ctx, prop); err != nil {
			return err
		}
		if err := tx.History().Append(ctx, prop.ID, actorID(p), prop.UpdatedAt, changes); err != nil {
			return err
		}
		return tx.Events().Publish(ctx, EventPropertyArchived, prop.ID, prop.OrgID, propertyEventData{
			PropertyID: prop.ID, OrgID: prop.OrgID, ActorID: actorID(p),
		})
	})
}

func (s *service) ListProperties(ctx context.Context, q PropertyQuery) (Page[domain.Property], error) {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesRead)
	if err != nil {
		return Page[domain.Property]{}, err
	}
	if q.Sort == "" {
		q.Sort, q.Desc = SortCreatedAt, true
	}
	if err := validateSort(q.Sort); err != nil {
		return Page[domain.Property]{}, err
	}
	if err := q.Filter.validate(); err != nil {
		return Page[domain.Property]{}, err
	}
	var page Page[domain.Property]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		page, err = tx.Properties().List(ctx, q)
		return err
	})
	return page, err
}

func (s *service) PropertyHistory(ctx context.Context, id string, limit int, cursor string) (Page[HistoryEntry], error) {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesRead)
	if err != nil {
		return Page[HistoryEntry]{}, err
	}
	if err := parseID("id", id); err != nil {
		return Page[HistoryEntry]{}, err
	}
	var page Page[HistoryEntry]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		if _, err := tx.Properties().Get(ctx, id); err != nil {
			return err // 404 for a missing or foreign property, not an empty list
		}
		page, err = tx.History().List(ctx, id, limit, cursor)
		return err
	})
	return page, err
}

func (s *service) SearchProperties(ctx context.Context, in SearchInput) (Page[SearchHit], error) {
	p, err := auth.CallerWith(ctx, domain.PermPropertiesRead)
	if err != nil {
		return Page[SearchHit]{}, err
	}
	q, err := domain.ParseSearch(in.Q)
	if err != nil {
		return Page[SearchHit]{}, err
	}
	if err := in.Filter.validate(); err != nil {
		return Page[SearchHit]{}, err
	}
	var page Page[SearchHit]
	err = s.store.InOrg(ctx, p.OrgID, func(tx Tx) error {
		page, err = tx.Properties().Search(ctx, SearchQuery{Query: q, Filter: in.Filter, Limit: in.Limit, Cursor: in.Cursor})
		return err
	})
	return page, err
}

// jsonOf marshals a value known to be marshalable.
func jsonOf(v any) json.RawMessage {
	b, err := json.Marshal(v)
	if err != nil {
		return json.RawMessage("null")
	}
	return b
}
