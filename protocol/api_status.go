package protocol

// HTTPStatus is the HTTP status the server answers with for an error of
// code c. Clients MUST act on the code, not the status, which is for
// proxies and people. (Numbers, not net/http's constants: this package is
// linked into the browser client, which has no use for net/http.)
func (c Code) HTTPStatus() int {
	switch c {
	case CodeBadRequest, CodeBadEncoding, CodeUnknownField, CodeBadSignature, CodeBadChain:
		return 400 // Bad Request
	case CodeUnauthenticated, CodeAuthFailed:
		return 401 // Unauthorized
	case CodeForbidden:
		return 403 // Forbidden
	case CodeNotFound:
		return 404 // Not Found
	case CodeMethodNotAllowed:
		return 405 // Method Not Allowed
	case CodeConflict:
		return 409 // Conflict
	case CodeExpired:
		return 410 // Gone
	case CodeTooLarge:
		return 413 // Content Too Large
	case CodeUnsupported:
		return 422 // Unprocessable Content
	case CodeLocked:
		return 423 // Locked
	case CodeRateLimited:
		return 429 // Too Many Requests
	}
	return 500 // Internal Server Error, also for CodeInternal
}
