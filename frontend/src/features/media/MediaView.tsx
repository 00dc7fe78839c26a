import type { Media } from "../../api/types.ts";
import { FileCard } from "./FileCard.tsx";
import { fitBox } from "./fitBox.ts";
import { ImageThumb } from "./ImageThumb.tsx";

/** How a message's attachment shows in the timeline, by kind. */
export function MediaView({ media }: { media: Media }) {
  switch (media.kind) {
    case "image":
      return <ImageThumb media={media} />;
    case "video": {
      const box = fitBox(media.width, media.height, 320, 360);
      return (
        <video
          controls
          preload="metadata"
          src={media.url}
          width={box.width}
          height={box.height}
          aria-label={media.name}
          className="block h-auto max-w-full rounded-xl bg-black"
          style={{ aspectRatio: `${box.width} / ${box.height}` }}
        />
      );
    }
    case "audio":
      return (
        <div className="flex flex-col gap-1">
          <audio controls preload="metadata" src={media.url} aria-label={media.name} className="w-64 max-w-full" />
          <span className="truncate px-1 text-xs opacity-80">{media.name}</span>
        </div>
      );
    default:
      return <FileCard media={media} />;
  }
}
