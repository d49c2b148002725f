package protocol

import "strconv"

// Role is a member's role in a tenant. It is a wire enum: in signed
// membership statements it is the unsigned integer below, in JSON its name.
// Do not reorder or renumber; append new roles only. The zero Role is not a
// role, so a forgotten field never reads as one.
//
// What each role may do is defined by the membership chain rules
// (keys/membership, SPEC §Membership), not here.
type Role uint8

const (
	RoleOwner  Role = 1 // created the tenant, or was made owner by an owner
	RoleAdmin  Role = 2 // manages members and grants; opens nothing by the role alone
	RoleMember Role = 3 // receives grants
)

var roleNames = [...]string{RoleOwner: "owner", RoleAdmin: "admin", RoleMember: "member"}

// Valid reports whether r is one of the roles above.
func (r Role) Valid() bool { return r >= RoleOwner && r <= RoleMember }

// String returns the role's JSON name, or "role(N)" for an unknown role.
func (r Role) String() string {
	if !r.Valid() {
		return "role(" + strconv.Itoa(int(r)) + ")"
	}
	return roleNames[r]
}

// ParseRole parses a role's JSON name.
func ParseRole(s string) (Role, error) {
	for r := RoleOwner; r <= RoleMember; r++ {
		if roleNames[r] == s {
			return r, nil
		}
	}
	return 0, Errorf(CodeBadRequest, "role must be one of owner, admin, member")
}

func (r Role) MarshalText() ([]byte, error) {
	if !r.Valid() {
		return nil, Errorf(CodeInternal, "marshaling an unknown role")
	}
	return []byte(roleNames[r]), nil
}

func (r *Role) UnmarshalText(b []byte) error {
	p, err := ParseRole(string(b))
	if err != nil {
		return err
	}
	*r = p
	return nil
}
