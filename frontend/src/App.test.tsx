import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import App from "./App.tsx";

describe("App", () => {
  it("shows the Parley heading", () => {
    render(<App />);
    expect(screen.getByRole("heading", { name: "Parley" })).toBeInTheDocument();
    expect(screen.getByText(/the chat client is on its way/i)).toBeInTheDocument();
  });
});
