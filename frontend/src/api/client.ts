import { ApiError, NetworkError, UnreadableAnswer, parseRetryAfter } from "./errors.ts";
import type {
  AuthResponse,
  ErrorBody,
  LogInBody,
  Me,
  Media,
  MediaResponse,
  MeResponse,
  Message,
  MessageResponse,
  MessagesPage,
  ProfileResponse,
  Read,
  ReadResponse,
  RefreshResponse,
  RegisterBody,
  SendMessageBody,
  SidebarUser,
  SyncResponse,
  UpdateProfileBody,
  UsersPage,
  UsersPageParams,
} from "./types.ts";
import { uploadFile, type UploadHandle } from "./upload.ts";

export type ApiClientOptions = {
  /** The current bearer token, or null when signed out. */
  getToken: () => string | null;
  /** Called with the token that an authenticated call was refused with (401): that session is over. */
  onUnauthorized?: (token: string) => void;
  fetch?: typeof fetch;
  baseUrl?: string;
};

/** A small typed client for the routes in docs/api.md. */
export class ApiClient {
  private readonly options: ApiClientOptions;

  constructor(options: ApiClientOptions) {
    this.options = options;
  }

  register(body: RegisterBody): Promise<AuthResponse> {
    return this.request<AuthResponse>("POST", "/api/auth/register", body, { auth: false });
  }

  login(body: LogInBody): Promise<AuthResponse> {
    return this.request<AuthResponse>("POST", "/api/auth/login", body, { auth: false });
  }

  /** Renew the session held in the HttpOnly refresh cookie (the browser sends it; scripts never see it). */
  refresh(): Promise<RefreshResponse> {
    return this.request<RefreshResponse>("POST", "/api/auth/refresh", undefined, { auth: false });
  }

  /** End this session on the server (its tokens and sockets stop working at once). */
  async logout(): Promise<void> {
    await this.send("POST", "/api/auth/logout");
  }

  /** End every session of my account, on every device. */
  async logoutEverywhere(): Promise<void> {
    await this.send("POST", "/api/auth/logout-all");
  }

  me(): Promise<MeResponse> {
    return this.request<MeResponse>("GET", "/api/me");
  }

  /**
   * One page of the sidebar: people I talk with first (most recent first), then everyone else by name.
   * `cursor` is the previous page's `next_cursor`; `q` keeps people with a word of their name starting with it.
   */
  usersPage({ limit, cursor, q }: UsersPageParams = {}, signal?: AbortSignal): Promise<UsersPage> {
    const params = new URLSearchParams();
    if (limit !== undefined) params.set("limit", String(limit));
    if (cursor) params.set("cursor", cursor);
    if (q) params.set("q", q);
    const search = params.toString() ? `?${params}` : "";
    return this.request<UsersPage>("GET", `/api/users${search}`, undefined, { signal });
  }

  /** One person (someone a message or an event is about who is not loaded yet); 404 for an unknown id or me. */
  user(userId: string, signal?: AbortSignal): Promise<SidebarUser> {
    return this.request<SidebarUser>("GET", `/api/users/${encodeURIComponent(userId)}`, undefined, { signal });
  }

  messages(peerId: string, before: number | null, limit = 50): Promise<MessagesPage> {
    const params = new URLSearchParams({ limit: String(limit) });
    if (before !== null) params.set("before", String(before));
    return this.request<MessagesPage>(
      "GET",
      `/api/conversations/${encodeURIComponent(peerId)}/messages?${params}`,
    );
  }

  async sendMessage(body: SendMessageBody): Promise<Message> {
    const answer = await this.request<MessageResponse>("POST", "/api/messages", body);
    return answer.message;
  }

  async markRead(peerId: string, upToSeq: number): Promise<Read> {
    const answer = await this.request<ReadResponse>("POST", "/api/messages/read", {
      peer_id: peerId,
      up_to_seq: upToSeq,
    });
    return answer.read;
  }

  /** Change my name and/or avatar (an image I uploaded; `null` removes it). Fields left out stay as they are. */
  async updateProfile(body: UpdateProfileBody): Promise<Me> {
    const answer = await this.request<ProfileResponse>("PUT", "/api/profile", body);
    return answer.user;
  }

  sync(after: number, limit = 200): Promise<SyncResponse> {
    const params = new URLSearchParams({ after: String(after), limit: String(limit) });
    return this.request<SyncResponse>("GET", `/api/sync?${params}`);
  }

  /** Upload one file with progress; `handle.abort()` cancels it. */
  upload(file: File, onProgress: (fraction: number) => void): UploadHandle<Media> {
    const token = this.options.getToken();
    const handle = uploadFile<MediaResponse>(`${this.base}/api/uploads`, file, { token, onProgress });
    const promise = handle.promise.then(
      (answer) => answer.media,
      (error: unknown) => {
        this.noticeUnauthorized(error, token);
        throw error;
      },
    );
    return { promise, abort: handle.abort };
  }

  private get base(): string {
    return this.options.baseUrl ?? "";
  }

  private noticeUnauthorized(error: unknown, token: string | null): void {
    if (token && error instanceof ApiError && error.status === 401) this.options.onUnauthorized?.(token);
  }

  /** A request answered with a JSON body of type `T` (the API's documented answer). */
  private async request<T>(method: string, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
    const response = await this.send(method, path, body, options);
    const answer = await readJson<T>(response);
    if (answer === null) throw new UnreadableAnswer(method, path, response.status);
    return answer;
  }

  /** A request whose answer is its status alone (204), or an error. */
  private async send(
    method: string,
    path: string,
    body?: unknown,
    { auth = true, signal }: RequestOptions = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { Accept: "application/json" };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const token = auth ? this.options.getToken() : null;
    if (token) headers.Authorization = `Bearer ${token}`;
    const doFetch = this.options.fetch ?? fetch;
    let response: Response;
    try {
      response = await doFetch(`${this.base}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new NetworkError();
    }
    if (!response.ok) {
      const error = new ApiError(
        response.status,
        await readJson<ErrorBody>(response),
        parseRetryAfter(response.headers.get("Retry-After")),
      );
      this.noticeUnauthorized(error, token);
      throw error;
    }
    return response;
  }
}

type RequestOptions = { auth?: boolean; signal?: AbortSignal };

async function readJson<T>(response: Response): Promise<T | null> {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text) as T;
  } catch {
    return null;
  }
}
