// The shapes of the Parley API (docs/api.md), named for the web client. Each is generated from the servers' own
// schemas (src/api/generated/api.ts; `make api-types` after a server-side change), so the client cannot drift
// from what is sent. Only what the client adds on top (query parameters, error bodies) is written here.
import type * as Api from "./generated/api.ts";

export type User = Api.UserOut;

/** The signed-in person: as others see them, and their email. */
export type Me = Api.OwnUserOut;

export type Media = Api.MediaOut;

export type MediaKind = Media["kind"];

export type Message = Api.MessageOut;

export type MessageType = Message["type"];

export type ConversationSummary = Api.ConversationSummaryOut;

export type Read = Api.ReadOut;

/** A person in the sidebar (`SidebarUser` in docs/api.md): the user and our conversation, if any. */
export type SidebarUser = Api.SidebarUserOut;

/** A person as the client keeps them: a sidebar entry, or someone a push told of (no conversation known yet). */
export type UserEntry = User & { conversation?: ConversationSummary | null };

/** `GET /api/users`: one page of the sidebar, in the server's order; `next_cursor` is null on the last page. */
export type UsersPage = Api.SidebarPage;

export type UsersPageParams = { limit?: number; cursor?: string | null; q?: string };

export type AuthResponse = Api.AuthResponse;

/** A renewed access token of the session named by the refresh cookie. */
export type RefreshResponse = Api.RefreshResponse;

export type MeResponse = Api.MeResponse;

export type MessagesPage = Api.HistoryPage;

export type MessageResponse = Api.MessageResponse;

export type ReadResponse = Api.ReadResponse;

export type MediaResponse = Api.MediaResponse;

export type ProfileResponse = Api.ProfileResponse;

export type SyncResponse = Api.SyncPage;

export type SendMessageBody = Api.SendMessage;

export type RegisterBody = Api.RegisterUser;

export type LogInBody = Api.LogIn;

export type UpdateProfileBody = Api.UpdateProfile;

/** The payload of each event the server emits on the socket. */
export type SocketEvents = Api.SocketEvents;

/**
 * The socket `user` event: a new person (with presence) or a profile change, which carries only
 * `{id, name, avatar}` and is merged into what the client already has.
 */
export type UserUpdate = SocketEvents["user"] & Partial<Pick<User, "online" | "last_seen">>;

export type Presence = SocketEvents["presence"];

export type Typing = SocketEvents["typing"];

export type ValidationIssue = { loc: (string | number)[]; msg: string; type: string };

export type ErrorBody = { detail?: unknown; request_id?: string; errors?: ValidationIssue[] };
