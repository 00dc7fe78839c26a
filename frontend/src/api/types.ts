// Shapes of the Parley API, as documented in docs/api.md.

export type User = {
  id: string;
  name: string;
  avatar: string | null;
  online: boolean;
  last_seen: string | null;
};

export type Me = User & { email: string };

export type MediaKind = "image" | "video" | "audio" | "file";

export type Media = {
  id: string;
  name: string;
  size: number;
  mime: string;
  kind: MediaKind;
  width: number | null;
  height: number | null;
  url: string;
  thumbnail_url: string | null;
};

export type MessageType = "text" | MediaKind;

export type Message = {
  id: string;
  seq: number;
  position: number;
  conversation_id: string;
  sender_id: string;
  receiver_id: string;
  type: MessageType;
  text: string;
  media: Media | null;
  client_msg_id: string;
  sent_at: string;
};

export type ConversationSummary = {
  conversation_id: string;
  last_message: Message | null;
  last_activity_at: string | null;
  unread: number;
  read_seq: number;
  peer_read_seq: number;
};

export type Read = {
  conversation_id: string;
  reader_id: string;
  peer_id: string;
  up_to_seq: number;
  read_at: string;
  position: number;
};

/** A person in the sidebar (`SidebarUser` in docs/api.md): the user and our conversation, if any. */
export type UserEntry = User & { conversation?: ConversationSummary | null };
export type SidebarUser = UserEntry;

/** `GET /api/users`: one page of the sidebar, in the server's order; `next_cursor` is null on the last page. */
export type UsersPage = { users: SidebarUser[]; next_cursor: string | null };

export type UsersPageParams = { limit?: number; cursor?: string | null; q?: string };

export type AuthResponse = {
  user: Pick<Me, "id" | "name" | "email"> & Partial<Me>;
  access_token: string;
  token_type: string;
  /** Seconds the access token is valid for (renewed with `POST /api/auth/refresh` before then). */
  expires_in?: number;
};

/** A renewed access token of the session named by the refresh cookie. */
export type RefreshResponse = { access_token: string; token_type: string; expires_in: number };

export type MeResponse = { user: Me; sync_position?: number };

export type MessagesPage = {
  messages: Message[];
  next_before: number | null;
  peer_read_seq?: number;
};

export type SyncResponse = {
  messages: Message[];
  reads: Read[];
  position: number;
  more: boolean;
};

export type SendMessageBody = {
  to: string;
  type: MessageType;
  text?: string;
  media_id?: string;
  client_msg_id: string;
};

/**
 * The socket `user` event: a new person (with presence) or a profile change, which carries only
 * `{id, name, avatar}` and is merged into what the client already has.
 */
export type UserUpdate = Pick<User, "id" | "name" | "avatar"> & Partial<Pick<User, "online" | "last_seen">>;

export type Presence = { user_id: string; online: boolean; last_seen: string | null };

export type Typing = { from: string };

export type ValidationIssue = { loc: (string | number)[]; msg: string; type: string };

export type ErrorBody = { detail?: unknown; request_id?: string; errors?: ValidationIssue[] };
