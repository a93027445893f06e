// Package domain holds the property context's entities and rules: Property
// (RESO Data Dictionary fields), Listing and their value lists, the change
// set behind PropertyHistory, and the search query parser. It does no I/O.
package domain
