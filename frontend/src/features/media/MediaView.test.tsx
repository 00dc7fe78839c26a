import { render, screen, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it } from "vitest";
import type { Media } from "../../api/types.ts";
import { MediaView } from "./MediaView.tsx";

const base: Media = {
  id: "m",
  name: "holiday.jpg",
  size: 3 * 1024 * 1024,
  mime: "image/jpeg",
  kind: "image",
  width: 1600,
  height: 1200,
  url: "/api/media/m?sig=s",
  thumbnail_url: "/api/media/m/thumbnail?sig=s",
};

describe("MediaView", () => {
  it("shows an image thumbnail with its space reserved, and opens the full size", async () => {
    render(<MediaView media={base} />);
    const img = screen.getByRole("img", { name: "holiday.jpg" });
    expect(img).toHaveAttribute("src", base.thumbnail_url);
    expect(img).toHaveAttribute("width", "280");
    expect(img).toHaveAttribute("height", "210");
    await userEvent.click(screen.getByRole("button", { name: "Open image holiday.jpg" }));
    const dialog = await screen.findByRole("dialog", { name: "Lightbox" });
    expect(within(dialog).getByRole("img", { name: "holiday.jpg" })).toHaveAttribute("src", base.url);
  });

  it("plays video and audio inline with controls", () => {
    const { container, rerender } = render(<MediaView media={{ ...base, kind: "video", mime: "video/mp4", name: "clip.mp4" }} />);
    expect(container.querySelector("video")).toHaveAttribute("controls");
    rerender(<MediaView media={{ ...base, kind: "audio", mime: "audio/mpeg", name: "song.mp3", width: null, height: null }} />);
    expect(container.querySelector("audio")).toHaveAttribute("controls");
  });

  it("shows a file card with name, size and a download link", () => {
    render(<MediaView media={{ ...base, kind: "file", mime: "application/pdf", name: "report.pdf", thumbnail_url: null }} />);
    expect(screen.getByText("report.pdf")).toBeInTheDocument();
    expect(screen.getByText("3 MB")).toBeInTheDocument();
    expect(screen.getByRole("link", { name: "Download report.pdf" })).toHaveAttribute("href", base.url);
  });
});
