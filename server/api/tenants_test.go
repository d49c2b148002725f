package api_test

import (
	"testing"

	"vellum.dev/vellum/keys/membership"
	"vellum.dev/vellum/protocol"
)

func TestTenantMembership(t *testing.T) {
	s := startServer(t, nil)
	owner := s.register("owner@example.com")
	admin := s.register("admin@example.com")
	bob := s.register("bob@example.com")
	tid := owner.newTenant()

	owner.invite(tid, admin, protocol.RoleAdmin)
	admin.invite(tid, bob, protocol.RoleMember)

	var ml protocol.MemberList
	s.must("GET", "/tenants/"+tid+"/members", bob.access, nil, &ml)
	if len(ml.Members) != 3 {
		t.Fatalf("members: %+v", ml)
	}
	// Paging: one at a time.
	seen := map[string]bool{}
	cursor := ""
	for range 4 {
		var pg protocol.MemberList
		q := "?limit=1"
		if cursor != "" {
			q += "&cursor=" + cursor
		}
		s.must("GET", "/tenants/"+tid+"/members"+q, bob.access, nil, &pg)
		for _, m := range pg.Members {
			seen[m.AccountID] = true
		}
		if cursor = pg.NextCursor; cursor == "" {
			break
		}
	}
	if len(seen) != 3 {
		t.Fatalf("paged through %d members", len(seen))
	}

	// A member cannot invite; an admin cannot add an admin.
	s.wantCode(protocol.CodeForbidden, "POST", "/tenants/"+tid+"/invites", bob.access, &protocol.CreateInviteRequest{Email: "x@example.com", Role: protocol.RoleMember})
	s.wantCode(protocol.CodeForbidden, "POST", "/tenants/"+tid+"/invites", admin.access, &protocol.CreateInviteRequest{Email: "x@example.com", Role: protocol.RoleAdmin})

	// A statement that breaks the chain's rules is refused: a member
	// changing roles.
	st := bob.chain(tid)
	stmt, err := st.Append(bob.id, bob.kr.SigningKey(), membership.ChangeRole{AccountID: bob.id, Role: protocol.RoleAdmin}, nowT())
	if err == nil {
		s.wantCode(protocol.CodeForbidden, "POST", "/tenants/"+tid+"/membership", bob.access, &protocol.AppendMembershipRequest{Statement: stmt})
	}
	// A statement signed by someone else is refused, even when valid.
	st = owner.chain(tid)
	stmt, err = st.Append(owner.id, owner.kr.SigningKey(), membership.ChangeRole{AccountID: bob.id, Role: protocol.RoleAdmin}, nowT())
	if err != nil {
		t.Fatal(err)
	}
	s.wantCode(protocol.CodeForbidden, "POST", "/tenants/"+tid+"/membership", admin.access, &protocol.AppendMembershipRequest{Statement: stmt})
	// A forged signature is refused with bad_signature.
	forged := append([]byte(nil), stmt...)
	forged[len(forged)-1] ^= 1
	s.wantCode(protocol.CodeBadSignature, "POST", "/tenants/"+tid+"/membership", owner.access, &protocol.AppendMembershipRequest{Statement: forged})
	// The role route checks the statement is about the path's member.
	s.wantCode(protocol.CodeBadRequest, "PUT", "/tenants/"+tid+"/members/"+admin.id+"/role", owner.access, &protocol.ChangeRoleRequest{Role: protocol.RoleAdmin, Statement: stmt})
	var ma protocol.MembershipAppended
	s.must("PUT", "/tenants/"+tid+"/members/"+bob.id+"/role", owner.access, &protocol.ChangeRoleRequest{Role: protocol.RoleAdmin, Statement: stmt}, &ma)
	// A stale statement (same seq again) is a conflict.
	stmt2, err := st.Append(owner.id, owner.kr.SigningKey(), membership.RemoveMember{AccountID: admin.id}, nowT())
	if err != nil {
		t.Fatal(err)
	}
	s.wantCode(protocol.CodeConflict, "POST", "/tenants/"+tid+"/members/"+admin.id+"/remove", owner.access, &protocol.RemoveMemberRequest{Statement: stmt2})

	var tn protocol.Tenant
	s.must("GET", "/tenants/"+tid, bob.access, nil, &tn)
	if tn.Role != protocol.RoleAdmin || tn.MembershipSeq != ma.Seq {
		t.Fatalf("tenant as bob sees it: %+v (appended %d)", tn, ma.Seq)
	}
	// Bob leaves; he loses access at once.
	st = bob.chain(tid)
	stmt, err = st.Append(bob.id, bob.kr.SigningKey(), membership.RemoveMember{AccountID: bob.id}, nowT())
	if err != nil {
		t.Fatal(err)
	}
	s.must("POST", "/tenants/"+tid+"/members/"+bob.id+"/remove", bob.access, &protocol.RemoveMemberRequest{Statement: stmt}, nil)
	r := s.call("GET", "/tenants/"+tid, bob.access, nil, nil)
	if r.status != 403 {
		t.Fatalf("a removed member reads the tenant: %d", r.status)
	}
	var tl protocol.TenantList
	s.must("GET", "/tenants", bob.access, nil, &tl)
	if len(tl.Tenants) != 0 {
		t.Fatalf("bob still lists %+v", tl)
	}
}
