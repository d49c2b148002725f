package api

func (a *API) folderHandlers() map[string]handler   { return nil }
func (a *API) documentHandlers() map[string]handler { return nil }
func (a *API) grantHandlers() map[string]handler    { return nil }
func (a *API) auditHandlers() map[string]handler    { return nil }
