package domain

import "slices"

// PropertyTypes is the RESO Data Dictionary PropertyType lookup.
var propertyTypes = []string{
	"Residential", "ResidentialIncome", "ResidentialLease", "Land", "Farm",
	"CommercialSale", "CommercialLease", "BusinessOpportunity", "ManufacturedInPark",
}

// standardStatuses is the RESO Data Dictionary StandardStatus lookup.
var standardStatuses = []string{
	"Active", "Active Under Contract", "Canceled", "Closed", "Coming Soon",
	"Delete", "Expired", "Hold", "Incomplete", "Pending", "Withdrawn",
}

// PropertyTypes returns the RESO PropertyType values.
func PropertyTypes() []string { return slices.Clone(propertyTypes) }

// StandardStatuses returns the RESO StandardStatus values.
func StandardStatuses() []string { return slices.Clone(standardStatuses) }

// ValidPropertyType reports whether s is a RESO PropertyType value (exact,
// case-sensitive: RESO lookups are enumerations, not free text).
func ValidPropertyType(s string) bool { return slices.Contains(propertyTypes, s) }

// ValidStandardStatus reports whether s is a RESO StandardStatus value.
func ValidStandardStatus(s string) bool { return slices.Contains(standardStatuses, s) }
