package approve

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
)

// Action kinds the bot proposes. Kind is an open set: the policy decides
// who may approve a kind, so a new kind needs a policy entry, not a change
// here.
const (
	Expedite        = "expedite"
	Transfer        = "transfer"
	Reorder         = "reorder"
	Reallocate      = "reallocate"
	ReducePromotion = "reduce_promotion"
)

// Action is the exact thing a proposal asks to do. Its Hash is what an
// approval is bound to, so every field that changes what happens belongs
// here and nothing else does.
type Action struct {
	Kind   string            `json:"kind"`   // Expedite, Transfer, ...
	Alert  string            `json:"alert"`  // the alert it answers
	Params map[string]string `json:"params"` // po, from_site, to_site, qty, sku, ...
	Amount float64           `json:"amount"` // the money it commits, compared with Policy.TwoPersonOver
}

// Hash is the hex SHA-256 of the action's canonical encoding: one JSON
// object with members sorted by name (alert, amount, kind, params) and
// params sorted by key, the amount as the shortest decimal that reads
// back as the same float. Two actions that do the same thing have the
// same hash; changing any parameter changes it.
func (a Action) Hash() string {
	h := sha256.Sum256(a.canonical())
	return hex.EncodeToString(h[:])
}

func (a Action) canonical() []byte {
	// encoding/json writes struct fields in declaration order and map keys
	// sorted, so declaring the members alphabetically gives one spelling.
	// The amount is a string so that no float formatting can move a hash.
	v := struct {
		Alert  string            `json:"alert"`
		Amount string            `json:"amount"`
		Kind   string            `json:"kind"`
		Params map[string]string `json:"params"`
	}{a.Alert, strconv.FormatFloat(a.Amount, 'f', -1, 64), a.Kind, a.Params}
	if v.Params == nil {
		v.Params = map[string]string{} // nil and empty mean the same action
	}
	b, err := json.Marshal(v)
	if err != nil {
		panic("approve: encode action: " + err.Error()) // strings only: cannot fail
	}
	return b
}
