// Package access is the permission model, pure (no store, no I/O): security levels (the system
// levels and tenants' copies), sections and objects from the catalog, permissions and scopes,
// the rights of one or two parties (impersonation), and what Mine, My Companies and lines of
// business mean as query conditions. Who is calling is package auth's concern.
package access
