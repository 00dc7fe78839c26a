import { act, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { connectSocket, me, renderChatApp, resetChatAppBetweenTests } from "../../test/chatApp.tsx";
import { lastSocket } from "../../test/fakeSocket.ts";

vi.mock("socket.io-client", () => import("../../test/fakeSocket.ts"));

resetChatAppBetweenTests();

describe("session", () => {
  it("without a session shows the log-in form; Sign up switches to account creation", async () => {
    renderChatApp({ signedIn: false });
    expect(await screen.findByRole("button", { name: "Log in" })).toBeInTheDocument();
    await userEvent.click(screen.getByRole("button", { name: "Sign up" }));
    expect(screen.getByLabelText("Name")).toBeInTheDocument();
    expect(screen.getByRole("button", { name: "Create account" })).toBeInTheDocument();
  });

  it("signing up goes straight into the chat, and no token is kept in localStorage", async () => {
    localStorage.setItem("parley.token", "a seven-day token of old");
    const { backend } = renderChatApp({ signedIn: false });
    backend.routes.set("POST /api/auth/register", () => ({
      status: 201,
      body: { user: me, access_token: "fresh", token_type: "bearer", expires_in: 900 },
    }));
    await userEvent.click(await screen.findByRole("button", { name: "Sign up" }));
    await userEvent.type(screen.getByLabelText("Name"), "Me Myself");
    await userEvent.type(screen.getByLabelText("Email"), "me@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "password123");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    expect(await screen.findByRole("button", { name: "Log out" })).toBeInTheDocument();
    expect(localStorage.getItem("parley.token")).toBeNull();
  });

  it("shows the API's field errors next to the fields and 409 under Email", async () => {
    const { backend } = renderChatApp({ signedIn: false });
    backend.routes.set("POST /api/auth/register", () => ({
      status: 422,
      body: {
        detail: "password: too short",
        errors: [{ loc: ["body", "password"], msg: "Value error, must be at least 8 characters", type: "value_error" }],
      },
    }));
    await userEvent.click(await screen.findByRole("button", { name: "Sign up" }));
    await userEvent.type(screen.getByLabelText("Password"), "short");
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    const password = screen.getByLabelText("Password");
    await waitFor(() => expect(password).toHaveAttribute("aria-invalid", "true"));
    expect(password).toHaveAccessibleDescription("Must be at least 8 characters");
    expect(screen.getByRole("alert")).toHaveTextContent("Must be at least 8 characters");

    backend.routes.set("POST /api/auth/register", () => ({
      status: 409,
      body: { detail: "an account with this email already exists" },
    }));
    await userEvent.click(screen.getByRole("button", { name: "Create account" }));
    await waitFor(() =>
      expect(screen.getByLabelText("Email")).toHaveAccessibleDescription("An account with this email already exists"),
    );
  });

  it("a wrong password is a form-level alert", async () => {
    const { backend } = renderChatApp({ signedIn: false });
    backend.routes.set("POST /api/auth/login", () => ({ status: 401, body: { detail: "invalid email or password" } }));
    await userEvent.type(await screen.findByLabelText("Email"), "me@example.com");
    await userEvent.type(screen.getByLabelText("Password"), "wrongpassword");
    await userEvent.click(screen.getByRole("button", { name: "Log in" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("Wrong email or password.");
  });

  it("the refresh cookie's session opens the chat (it survives a reload); Log out ends it on the server", async () => {
    const { backend } = renderChatApp();
    await userEvent.click(await screen.findByRole("button", { name: "Log out" }));
    expect(screen.getByRole("button", { name: "Log in" })).toBeInTheDocument();
    expect(backend.calls.some((c) => c.method === "POST" && c.path === "/api/auth/logout")).toBe(true);
    expect(localStorage.getItem("parley.token")).toBeNull();
  });

  it("a 401 renews the token first, and logs out only when the session is over", async () => {
    const { backend } = renderChatApp();
    await screen.findByRole("button", { name: "Bob, online" });
    const renewals = () => backend.calls.filter((c) => c.path === "/api/auth/refresh").length;
    const before = renewals();
    // An expired token (the laptop slept through its renewal): renewed, and the app stays.
    backend.routes.set("POST /api/auth/refresh", () => ({
      status: 200,
      body: { access_token: "token-2", token_type: "bearer", expires_in: 900 },
    }));
    backend.routes.set("GET /api/sync", () => ({ status: 401, body: { detail: "invalid or expired token" } }));
    await connectSocket();
    await waitFor(() => expect(renewals()).toBe(before + 1));
    await waitFor(() => expect(lastSocket().emitted).toContainEqual(["renew", { token: "token-2" }]));
    expect(screen.getByRole("button", { name: "Log out" })).toBeInTheDocument();
    // Ended elsewhere: the renewal is refused too, and the app signs out.
    backend.routes.set("POST /api/auth/refresh", () => ({ status: 401, body: { detail: "session ended" } }));
    backend.routes.set("GET /api/users", () => ({ status: 401, body: { detail: "this session has ended" } }));
    act(() => lastSocket().serverSends("session_ended", { reason: "session ended" }));
    expect(await screen.findByRole("button", { name: "Log in" })).toBeInTheDocument();
  });

  it("Log out everywhere (in the profile) ends every session and signs out", async () => {
    const { backend } = renderChatApp();
    await userEvent.click(await screen.findByRole("button", { name: "Edit profile: Me Myself" }));
    await userEvent.click(screen.getByRole("button", { name: "Log out everywhere" }));
    expect(await screen.findByRole("button", { name: "Log in" })).toBeInTheDocument();
    expect(backend.calls.some((c) => c.method === "POST" && c.path === "/api/auth/logout-all")).toBe(true);
  });
});
