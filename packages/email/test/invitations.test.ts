import request from "supertest";
import { ScopePolicy } from "@portcullis/core";
import { useSmtpServer } from "@portcullis/testing";
import { ADA, APP_URL, BOB, createEmailApp, linkIn, nextAbout, signedIn, tokenIn } from "./email-app";

const smtp = useSmtpServer();
const INVITEE = "invitee@example.test";
const withInvitations = { flows: { invitations: { scope: "admin" } } };

describe("invitations", () => {
  test("an admin invites an address with a role; the emailed link sets the password once, and the invitee signs in with that role", async () => {
    const { app, clock } = await createEmailApp(smtp(), withInvitations);
    const admin = await signedIn(app, ADA);
    const invited = await admin.post("/api/auth/invitations").send({ email: " Invitee@Example.test", role: "member", name: "Grace" }).expect(202);
    expect(invited.body).toEqual({ email: INVITEE, role: "member", expires_at: new Date(clock.now + 7 * 24 * 3600_000).toISOString() });
    const message = await nextAbout(smtp(), INVITEE, /invited/);
    expect(message.text).toContain(`${ADA.email} invited you to Acme as member.`);
    const link = linkIn(message);
    expect(`${link.origin}${link.pathname}`).toBe(`${APP_URL}/accept-invitation`);

    const accepted = await request(app).post("/api/auth/invitations/accept").send({ token: tokenIn(message), password: "grace's password" }).expect(201);
    expect(accepted.body.user).toMatchObject({ email: INVITEE, role: "member" });
    await request(app).post("/api/auth/invitations/accept").send({ token: tokenIn(message), password: "another" }).expect(400);
    const me = await request(app).post("/api/auth/login").send({ email: INVITEE, password: "grace's password" }).expect(200);
    expect(me.body.scopes).toEqual(["read", "write"]);
  });

  test("a display name cannot add markup to the message: it is escaped in the HTML part", async () => {
    const { app } = await createEmailApp(smtp(), withInvitations);
    const admin = await signedIn(app, ADA);
    const name = `<img src=x onerror="alert(1)"><a href="https://evil.test">click</a>`;
    await admin.post("/api/auth/invitations").send({ email: INVITEE, role: "viewer", name }).expect(202);
    const message = await nextAbout(smtp(), INVITEE, /invited/);
    expect(message.html).not.toContain("<img");
    expect(message.html).not.toContain('href="https://evil.test"');
    expect(message.html).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    expect(message.text).toContain(`Hello ${name},`); // text is text: shown as typed
  });

  test("only a holder of the scope may invite, and only to a role whose scopes they hold", async () => {
    const { app, users } = await createEmailApp(smtp(), withInvitations);
    const member = await signedIn(app, BOB);
    const refused = await member.post("/api/auth/invitations").send({ email: INVITEE, role: "viewer" }).expect(403);
    expect(refused.body.error).toBe("insufficient_permissions");
    await request(app).post("/api/auth/invitations").send({ email: INVITEE, role: "viewer" }).expect(401);

    // An admin role without "write" cannot hand out "member" (read, write).
    const { app: scoped } = await createEmailApp(smtp(), { flows: { invitations: { scope: "read" } }, users });
    const viewerInviter = await signedIn(scoped, BOB); // bob holds read and write: may invite a viewer or a member
    await viewerInviter.post("/api/auth/invitations").send({ email: INVITEE, role: "member" }).expect(202);
    const beyond = await viewerInviter.post("/api/auth/invitations").send({ email: "other@example.test", role: "admin" }).expect(403);
    expect(beyond.body.detail).toBe("You can only invite people to a role whose scopes you hold.");
  });

  test("the inviter's scopes are read through the scope policy: an admin implying every scope may invite to any role", async () => {
    const roles = { admin: ["admin"], member: ["read", "write"] };
    const policy = new ScopePolicy({ implies: { admin: "*" } });
    const { app } = await createEmailApp(smtp(), { roles, flows: { invitations: { scope: "admin", policy } } });
    await (await signedIn(app, ADA)).post("/api/auth/invitations").send({ email: INVITEE, role: "member" }).expect(202);
    // Read literally, "admin" holds neither "read" nor "write".
    const { app: literal } = await createEmailApp(smtp(), { roles, flows: { invitations: { scope: "admin" } } });
    const refused = await (await signedIn(literal, ADA)).post("/api/auth/invitations").send({ email: INVITEE, role: "member" }).expect(403);
    expect(refused.body.error).toBe("insufficient_permissions");
  });

  test("an unknown role, an address with an account, and a malformed body are refused", async () => {
    const { app } = await createEmailApp(smtp(), withInvitations);
    const admin = await signedIn(app, ADA);
    expect((await admin.post("/api/auth/invitations").send({ email: INVITEE, role: "owner" }).expect(400)).body.detail).toBe("role: must be one of admin, member, viewer");
    await admin.post("/api/auth/invitations").send({ email: INVITEE, role: "__proto__" }).expect(400);
    expect((await admin.post("/api/auth/invitations").send({ email: BOB.email, role: "viewer" }).expect(409)).body.error).toBe("conflict");
    await admin.post("/api/auth/invitations").send({ email: "nope", role: "viewer" }).expect(400);
    await admin.post("/api/auth/invitations").send({ email: INVITEE, role: "viewer", admin: true }).expect(400);
  });

  test("an invitation expires after seven days", async () => {
    const { app, clock } = await createEmailApp(smtp(), withInvitations);
    const admin = await signedIn(app, ADA);
    await admin.post("/api/auth/invitations").send({ email: INVITEE, role: "viewer" }).expect(202);
    const token = tokenIn(await nextAbout(smtp(), INVITEE, /invited/));
    clock.advance(7 * 24 * 3600_000);
    await request(app).post("/api/auth/invitations/accept").send({ token, password: "too late" }).expect(400);
  });
});
