package jobs

import (
	_ "embed"
	"strings"
)

//go:embed openapi.yaml
var openAPIFragment string

// OpenAPI returns the OpenAPI fragment (paths and components) documenting
// the jobs API of service, for service.OpenAPIJSON to merge into the
// service's document.
func OpenAPI(service string) []byte {
	title := strings.ToUpper(service[:1]) + service[1:]
	return []byte(strings.NewReplacer("SERVICE", service, "Service", title).Replace(openAPIFragment))
}
