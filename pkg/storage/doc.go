// Package storage is the file-storage provider every service shares: an
// S3-shaped Store (Put, Open, Delete by key), a local-disk implementation
// (the MODE=mock stand-in, also usable on a persistent volume), expiring
// HMAC-signed download URLs with the handler that serves them, and the
// upload intake that streams one multipart file into a Store under a size
// limit after sniffing its type from its bytes.
//
// Keys are chosen by the service ("<org>/properties/<id>/images/<uuid>");
// clients never choose one. A signed URL is
//
//	/api/v1/files/<service>/<key>?expires=<unix seconds>&sig=<base64url HMAC-SHA256>
//
// The gateway lets GET /api/v1/files/... through without a token and routes
// /api/v1/files/<service> to the owning service, which checks the signature.
package storage
