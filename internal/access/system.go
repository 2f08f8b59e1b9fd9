package access

import "strings"

// The ids of the system levels: the same in every tenant. A tenant's copies are numbered from
// FirstCustomLevel.
const (
	AdministratorLevel     int64 = 1
	FullAccessLevel        int64 = 2
	ManagerLevel           int64 = 3
	TeamMemberLevel        int64 = 4
	ServiceDeskUserLevel   int64 = 5
	MinimalAccessLevel     int64 = 6
	DashboardUserLevel     int64 = 7
	TimeAttendanceLevel    int64 = 8
	ContractorLevel        int64 = 9
	CoManagedLevel         int64 = 10
	APIUserLevel           int64 = 11
	APIUserNoCostsLevel    int64 = 12
	FirstCustomLevel       int64 = 100
	MaxActiveAPIOnlyCopies       = 50
)

func perm(view Scope, add bool, edit, del Scope) Permission {
	return Permission{View: view, Add: add, Edit: edit, Delete: del}
}

var viewAll = perm(All, false, None, None)

// everything gives every section the same row.
func everything(p Permission) map[string]Permission {
	m := map[string]Permission{}
	for _, s := range SectionNames {
		m[s] = p
	}
	return m
}

// systemLevels are the read-only templates of access-model.md. Sections not named have No
// Permission. Their grids follow what Autotask's help says each is for: Administrator and Full
// Access everything; Manager everything but Admin changes; Team Member and Service Desk User the
// day-to-day work; Minimal Access, Time and Attendance, Contractor and Co-managed Help Desk a
// narrow slice; Dashboard User reports only; the two API User levels everything, with and
// without internal costs. Resources of the non-API levels may be impersonated by API users whose
// level allows impersonation; copies can turn that off.
var systemLevels = []*Level{
	{ID: AdministratorLevel, Name: "System Administrator (system)", License: LicenseAdministrator, sections: everything(Full),
		Flags: Flags{CanViewInternalCost: true, CanCreateWebhooks: true, MaxWebhooks: DefaultMaxWebhooks, AllowImpersonation: true}},
	{ID: FullAccessLevel, Name: "Full Access (system)", License: LicenseAdministrator, sections: everything(Full),
		Flags: Flags{CanViewInternalCost: true, CanCreateWebhooks: true, MaxWebhooks: DefaultMaxWebhooks, AllowImpersonation: true}},
	{ID: ManagerLevel, Name: "Manager (system)", License: LicenseFull,
		sections: merge(everything(Full), map[string]Permission{"Admin": viewAll, "Web Services API": NoPermission}),
		Flags:    Flags{CanViewInternalCost: true, AllowImpersonation: true}},
	{ID: TeamMemberLevel, Name: "Team Member (system)", License: LicenseTeamMember, sections: map[string]Permission{
		"Contracts": viewAll, "CRM": perm(All, true, MineAndCompanies, None), "Inventory": viewAll, "Projects": perm(Mine, false, Mine, None),
		"Service Desk": perm(All, true, All, Mine), "Documents & Knowledgebase": perm(All, true, All, Mine),
		"Timesheet": perm(Mine, true, Mine, Mine), "Reports": viewAll, "Admin": viewAll},
		Flags: Flags{AllowImpersonation: true}},
	{ID: ServiceDeskUserLevel, Name: "Service Desk User (system)", License: LicenseFull, sections: map[string]Permission{
		"Contracts": viewAll, "CRM": perm(All, true, All, None), "Inventory": viewAll,
		"Service Desk": perm(All, true, All, None), "Documents & Knowledgebase": perm(All, true, All, None),
		"Timesheet": perm(Mine, true, Mine, Mine), "Admin": viewAll},
		Flags: Flags{AllowImpersonation: true}},
	{ID: MinimalAccessLevel, Name: "Minimal Access (system)", License: LicenseTeamMember, sections: map[string]Permission{
		"CRM": perm(MyCompanies, false, None, None), "Service Desk": perm(Mine, true, Mine, None),
		"Documents & Knowledgebase": viewAll, "Timesheet": perm(Mine, true, Mine, Mine), "Admin": viewAll},
		Flags: Flags{AllowImpersonation: true}},
	{ID: DashboardUserLevel, Name: "Dashboard User (system)", License: LicenseDashboardUser, noCopy: true,
		sections: map[string]Permission{"Reports": viewAll}, Flags: Flags{AllowImpersonation: true}},
	{ID: TimeAttendanceLevel, Name: "Time and Attendance (system)", License: LicenseTimeAttendance, noCopy: true,
		sections: map[string]Permission{"Timesheet": perm(Mine, true, Mine, Mine)}, Flags: Flags{AllowImpersonation: true}},
	{ID: ContractorLevel, Name: "Contractor (system)", License: LicenseContractor, noCopy: true, sections: map[string]Permission{
		"Projects": perm(Mine, false, Mine, None), "Service Desk": perm(Mine, false, Mine, None), "Timesheet": perm(Mine, true, Mine, Mine)},
		Flags: Flags{AllowImpersonation: true}},
	{ID: CoManagedLevel, Name: "Co-managed Help Desk (system)", License: LicenseCoManagedHelpDsk, sections: map[string]Permission{
		"CRM": perm(MyCompanies, true, MyCompanies, None), "Service Desk": perm(MyCompanies, true, MyCompanies, None),
		"Documents & Knowledgebase": viewAll, "Timesheet": perm(Mine, true, Mine, Mine)},
		Flags: Flags{AllowImpersonation: true}},
	{ID: APIUserLevel, Name: "API User (system) (API-only)", License: LicenseAPIUser, APIOnly: true, sections: everything(Full),
		Flags: Flags{CanViewInternalCost: true, CanCreateWebhooks: true, MaxWebhooks: DefaultMaxWebhooks, CanImpersonate: true}},
	{ID: APIUserNoCostsLevel, Name: "API User (system) Can't Read Costs (API-only)", License: LicenseAPIUser, APIOnly: true, sections: everything(Full),
		Flags: Flags{CanCreateWebhooks: true, MaxWebhooks: DefaultMaxWebhooks, CanImpersonate: true}},
}

func init() {
	for _, l := range systemLevels {
		l.System, l.Active = true, true
	}
}

func merge(a, b map[string]Permission) map[string]Permission {
	for k, v := range b {
		a[k] = v
	}
	return a
}

// SystemLevels lists the system levels in id order.
func SystemLevels() []*Level { return systemLevels }

// SystemLevel returns the system level with an id, or nil.
func SystemLevel(id int64) *Level {
	if id >= 1 && id <= int64(len(systemLevels)) {
		return systemLevels[id-1]
	}
	return nil
}

// NameKey is how level names compare: case, spacing and the shape of apostrophes and dashes do
// not matter ("API User (system) Can’t Read Costs" is the level of that name).
func NameKey(name string) string {
	name = strings.NewReplacer("’", "'", "‘", "'", "–", "-", "—", "-").Replace(name)
	return strings.ToLower(strings.Join(strings.Fields(name), " "))
}

// MatchesName reports whether a level answers to a name as an administrator types it: its full
// name, or its name without the " (system)" / " (API-only)" suffixes.
func MatchesName(levelName, typed string) bool {
	k, t := NameKey(levelName), NameKey(typed)
	if k == t {
		return true
	}
	short := strings.TrimSpace(strings.ReplaceAll(strings.ReplaceAll(k, "(api-only)", ""), "(system)", ""))
	short = strings.Join(strings.Fields(short), " ")
	return short != "" && short == strings.Join(strings.Fields(strings.ReplaceAll(strings.ReplaceAll(t, "(api-only)", ""), "(system)", "")), " ")
}
