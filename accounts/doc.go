// Package accounts is who may use Truce: parties, their users, the users'
// API tokens and sign-in with a password, and the keys the deployment
// holds for custodial parties.
//
// It holds, in one place:
//
//   - the parties (parties.go): created by an administrator, with the
//     party's own public key or, for a custodial party, a key pair whose
//     private key is sealed and stored in the party's transaction;
//   - the users (users.go) and who may manage them (rules.go);
//   - the tokens (tokens.go): a secret shown once, stored as its SHA-256;
//   - authentication (auth.go): a bearer token or a password turned into
//     a truce.Caller that the journal vouches for, and the bounds on
//     password sign-ins (login.go) and the argon2id hashing (password.go);
//   - the callers a token's vouched read found good, cached for a second
//     and dropped on any accounts change, here or on another server
//     (callers.go: CallerCache says what it guarantees);
//   - the keys (keys.go): custodial parties' keys sealed under the
//     deployment's key secret (the log key file is package ledger's:
//     GenerateLogKey);
//   - Bootstrap, the first party, administrator and token of a deployment.
//
// Service writes through package journal, like every capability, and
// reads and writes the store through Store and Tx, its own small
// interfaces: internal/sqlstore implements them (Store.Accounts) and
// storetest runs them on SQLite and PostgreSQL. The delivery layers use
// the truce.PartyService, UserService, TokenService and Authenticator
// interfaces that Service implements; the other capabilities use Party,
// VouchParty and PartySigner.
package accounts
