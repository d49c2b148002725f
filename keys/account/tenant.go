package account

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"filippo.io/age"

	"vellum.dev/vellum/keys"
	"vellum.dev/vellum/protocol"
)

// Tenant recovery: M of N admins, by composing age, with no secret sharing.
//
// For every M-subset {a₁ < a₂ < … < a_M} of the N admins (indices into the
// sorted recipient list), the wrap holds one onion:
//
//	layer 1 (core)   keys.WrapKey(AK) to admin a₁
//	layer j          age file of layer j−1 to admin a_j
//	layer M (outer)  age file of layer M−1 to admin a_M
//
// The onions are stored in lexicographic order of their subsets. Opening
// one takes the M admins' identities applied in order, outermost first:
// a_M peels, then a_{M−1}, …, and a₁ opens the core. Each admin can peel on
// their own device and pass the result on; no admin sees another's key,
// and fewer than M admins hold only ciphertext.
//
// Cost: C(N, M)·M age encryptions and about C(N, M)·(32 + 200·M) bytes to
// make; M age decryptions to open. At the bound N = 8 the worst case is
// M = 4 or 5: 280 encryptions (about 35 ms natively, 120 µs each) and about
// 60 KiB, within protocol.MaxAccountWrap. M = 1 is simply one core per
// admin, and 1 of 1 is keys.WrapKey to the tenant recovery recipient.

// WrapForTenant wraps AK so that any threshold of the admins can open it
// together. The caller MUST take the admins' recipients from the tenant's
// signed membership, never from the server unchecked.
func WrapForTenant(ak *keys.SymmetricKey, threshold int, admins []keys.Recipient) ([]byte, error) {
	n := len(admins)
	if n < 1 || n > protocol.MaxRecoveryAdmins {
		return nil, fmt.Errorf("account: tenant recovery for %d admins, want 1 to %d", n, protocol.MaxRecoveryAdmins)
	}
	if threshold < 1 || threshold > n {
		return nil, fmt.Errorf("account: tenant recovery threshold %d of %d admins", threshold, n)
	}
	sorted := slices.Clone(admins)
	for _, r := range sorted {
		if r.IsZero() {
			return nil, errors.New("account: tenant recovery to the zero recipient")
		}
	}
	slices.SortFunc(sorted, func(a, b keys.Recipient) int { return strings.Compare(a.String(), b.String()) })
	names := make([]string, n)
	for i, r := range sorted {
		names[i] = r.String()
		if i > 0 && names[i] == names[i-1] {
			return nil, errors.New("account: tenant recovery to the same admin twice")
		}
	}
	var onions [][]byte
	for _, subset := range subsets(n, threshold) {
		f, err := keys.WrapKey(ak, sorted[subset[0]].Age())
		if err != nil {
			return nil, fmt.Errorf("account: tenant recovery core: %w", err)
		}
		for _, a := range subset[1:] {
			if f, err = ageEncrypt(f, sorted[a]); err != nil {
				return nil, err
			}
		}
		onions = append(onions, f)
	}
	return marshalWrap(wrapCBOR{Method: MethodTenantRecovery, Recipients: names, Threshold: uint64(threshold), Onions: onions})
}

// TenantOnion returns the onion that exactly the given admins (M of the
// wrap's admins, in any order) open together, and the order in which they
// must apply their identities: order[0] peels the outer layer with
// PeelTenantLayer, and order[M−1] opens the core with OpenTenantCore.
func (w *Wrap) TenantOnion(admins ...keys.Recipient) (onion []byte, order []keys.Recipient, err error) {
	if w.c.Method != MethodTenantRecovery {
		return nil, nil, wrongMethod(w, MethodTenantRecovery)
	}
	m := int(w.c.Threshold)
	var idx []int
	for _, a := range admins {
		i := slices.IndexFunc(w.recipients, a.Equal)
		if i < 0 {
			return nil, nil, fmt.Errorf("%w (a given admin is not one of the wrap's)", ErrWrongAdmins)
		}
		if !slices.Contains(idx, i) {
			idx = append(idx, i)
		}
	}
	if len(idx) != m {
		return nil, nil, fmt.Errorf("%w (%d distinct admins given, the wrap needs %d)", ErrWrongAdmins, len(idx), m)
	}
	slices.Sort(idx)
	k := slices.IndexFunc(subsets(len(w.recipients), m), func(s []int) bool { return slices.Equal(s, idx) })
	for j := m - 1; j >= 0; j-- {
		order = append(order, w.recipients[idx[j]])
	}
	return bytes.Clone(w.c.Onions[k]), order, nil
}

// PeelTenantLayer removes the outer layer of an onion (or of what the
// previous admin passed on) with one admin's identity. It returns
// ErrWrongAdmins if the layer is not for this admin.
func PeelTenantLayer(layer []byte, admin *keys.Identity) ([]byte, error) {
	if err := checkAgeFile(layer); err != nil {
		return nil, err
	}
	r, err := age.Decrypt(bytes.NewReader(layer), admin.Age())
	if err != nil {
		return nil, classifyAge(err)
	}
	inner, err := io.ReadAll(io.LimitReader(r, protocol.MaxWrappedKey+1))
	if err != nil {
		return nil, classifyAge(err)
	}
	if err := checkAgeFile(inner); err != nil {
		// A core peeled as a layer yields AK itself: drop it.
		clear(inner)
		return nil, err
	}
	return inner, nil
}

// OpenTenantCore opens an onion's core (keys.WrapKey of AK) with the last
// admin's identity.
func OpenTenantCore(core []byte, admin *keys.Identity) (*keys.SymmetricKey, error) {
	ak, err := keys.UnwrapKey(core, admin.Age())
	if errors.Is(err, keys.ErrWrongKey) {
		return nil, fmt.Errorf("%w (%v)", ErrWrongAdmins, err)
	} else if err != nil {
		return nil, fmt.Errorf("account: tenant recovery core: %w", err)
	}
	return ak, nil
}

// WithTenantAdmins unlocks tenant recovery wraps when one client holds M
// admins' identities (for instance, a single tenant recovery identity).
// Extra identities are ignored.
func WithTenantAdmins(ids ...*keys.Identity) Unlocker { return tenantUnlocker{ids} }

type tenantUnlocker struct{ ids []*keys.Identity }

func (u tenantUnlocker) Unlock(w *Wrap) (*keys.SymmetricKey, error) {
	if w.c.Method != MethodTenantRecovery {
		return nil, wrongMethod(w, MethodTenantRecovery)
	}
	byRecipient := map[string]*keys.Identity{}
	var have []keys.Recipient
	for _, r := range w.recipients {
		for _, id := range u.ids {
			if id.Recipient().Equal(r) && byRecipient[r.String()] == nil {
				byRecipient[r.String()] = id
				have = append(have, r)
			}
		}
	}
	m := int(w.c.Threshold)
	if len(have) < m {
		return nil, fmt.Errorf("%w (%d of the wrap's admins given, it needs %d)", ErrWrongAdmins, len(have), m)
	}
	layer, order, err := w.TenantOnion(have[:m]...)
	if err != nil {
		return nil, err
	}
	for _, r := range order[:m-1] {
		if layer, err = PeelTenantLayer(layer, byRecipient[r.String()]); err != nil {
			return nil, err
		}
	}
	return OpenTenantCore(layer, byRecipient[order[m-1].String()])
}

func ageEncrypt(payload []byte, to keys.Recipient) ([]byte, error) {
	var buf bytes.Buffer
	w, err := age.Encrypt(&buf, to.Age())
	if err != nil {
		return nil, fmt.Errorf("account: tenant recovery layer: %w", err)
	}
	if _, err := w.Write(payload); err != nil {
		return nil, fmt.Errorf("account: tenant recovery layer: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("account: tenant recovery layer: %w", err)
	}
	return buf.Bytes(), nil
}

// classifyAge maps age's errors as keys does: a layer for someone else, a
// bad header MAC or an altered payload is ErrWrongAdmins; anything else is
// malformed.
func classifyAge(err error) error {
	err = keys.ClassifyAgeError(err)
	if errors.Is(err, keys.ErrWrongKey) {
		return fmt.Errorf("%w (%v)", ErrWrongAdmins, err)
	}
	return fmt.Errorf("account: tenant recovery layer: %w", err)
}

// subsets returns the m-subsets of {0, …, n−1}, each sorted, in
// lexicographic order.
func subsets(n, m int) [][]int {
	var out [][]int
	cur := make([]int, 0, m)
	var rec func(start int)
	rec = func(start int) {
		if len(cur) == m {
			out = append(out, slices.Clone(cur))
			return
		}
		for i := start; i <= n-(m-len(cur)); i++ {
			cur = append(cur, i)
			rec(i + 1)
			cur = cur[:len(cur)-1]
		}
	}
	rec(0)
	return out
}

func binomial(n, m int) int {
	if m < 0 || m > n {
		return 0
	}
	r := 1
	for i := 1; i <= m; i++ {
		r = r * (n - m + i) / i
	}
	return r
}
