package ask

import (
	"fmt"
	"slices"
	"strings"

	"github.com/quartermaster-ops/quartermaster/bot/config"
)

// Roles an asker can hold: the policy file's, and "" for someone with
// no role, who sees least.
const (
	RolePlanner     = config.RolePlanner
	RoleBuyer       = config.RoleBuyer
	RoleFinance     = config.RoleFinance
	RoleSiteManager = config.RoleSiteManager
	RoleExecutive   = config.RoleExecutive
	RoleAdmin       = config.RoleAdmin
	RoleNone        = ""
)

// Field classes: what a figure reveals about the business, which decides
// who may see it.
const (
	// Revenue is money at selling prices: revenue at risk, unit price and
	// what-ifs of them. Every alert in chat shows it, and revenue at risk
	// divided by the units short gives the price anyway, so every role
	// sees it; only someone with no role does not.
	Revenue = "revenue"
	// Cost is what we pay suppliers: unit cost, the value of POs and of
	// planned actions at cost (the supplier's terms). Buyers negotiate it
	// and finance and executives own it; planners and site managers run
	// stock in units and do not need it.
	Cost = "cost"
	// Margin is price less cost over price: the most commercially
	// sensitive figure, for finance, executives and admins only.
	Margin = "margin"
)

// Masked is what a figure the asker's role may not see reads as, in tool
// results and answers.
const Masked = "masked for your role"

// visible lists, per role, the field classes it may see. A figure of a
// class not listed is masked before it reaches the model or the reply.
var visible = map[string][]string{
	RolePlanner:     {Revenue},
	RoleSiteManager: {Revenue},
	RoleBuyer:       {Revenue, Cost},
	RoleFinance:     {Revenue, Cost, Margin},
	RoleExecutive:   {Revenue, Cost, Margin},
	RoleAdmin:       {Revenue, Cost, Margin},
	RoleNone:        {},
}

// Roles lists the roles an asker may hold, "" last.
func Roles() []string {
	return []string{RolePlanner, RoleBuyer, RoleFinance, RoleSiteManager, RoleExecutive, RoleAdmin, RoleNone}
}

// CheckRole returns a clear error for a role that does not exist, so a
// typo in --as is refused rather than silently treated as no role.
func CheckRole(role string) error {
	if _, ok := visible[role]; ok {
		return nil
	}
	names := Roles()[:len(Roles())-1]
	return fmt.Errorf("role %q: want one of %s, or none", role, strings.Join(names, ", "))
}

// Sees reports whether role may see figures of class. Figures of no class
// ("") are operational (units, days, dates) and everyone sees them.
func Sees(role, class string) bool {
	if class == "" {
		return true
	}
	return slices.Contains(visible[role], class)
}
