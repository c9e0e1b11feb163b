// A real OpenID Connect provider on loopback for the sign-in test (node server.mjs PORT REDIRECT_URI).
// Its development login form accepts any login; the account named `dora` has a staff claim and the group `testers`.
import Provider from "oidc-provider";

const [port, redirectUri] = [Number(process.argv[2]), process.argv[3]];
const claimsOf = (id) => ({
  sub: id, email: `${id}@example.com`, email_verified: true, preferred_username: id,
  groups: id === "dora" ? ["testers"] : [], staff: id === "dora",
});

const provider = new Provider(`http://127.0.0.1:${port}`, {
  clients: [{
    client_id: "playground", client_secret: "playground-test-secret", redirect_uris: [redirectUri],
    grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "client_secret_post",
  }],
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return claimsOf(id); } };
  },
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["preferred_username", "groups", "staff"] },
  features: { devInteractions: { enabled: true } },
  pkce: { required: () => false },
  cookies: { keys: ["oidc-test-cookie-key"] },
});
provider.listen(port, "127.0.0.1", () => console.log(`listening on ${port}`));
