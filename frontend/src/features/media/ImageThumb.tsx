import { lazy, Suspense, useState } from "react";
import type { Media } from "../../api/types.ts";
import { fitBox } from "./fitBox.ts";

const ImageLightbox = lazy(() => import("./ImageLightbox.tsx"));

const MAX_W = 280;
const MAX_H = 320;

/** A thumbnail that keeps its space before it loads (no scroll jumps) and opens full size. */
export function ImageThumb({ media }: { media: Media }) {
  const [open, setOpen] = useState(false);
  const box = fitBox(media.width, media.height, MAX_W, MAX_H);
  return (
    <>
      <button
        type="button"
        onClick={() => setOpen(true)}
        aria-label={`Open image ${media.name}`}
        className="block max-w-full cursor-zoom-in overflow-hidden rounded-xl focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-500"
      >
        <img
          src={media.thumbnail_url ?? media.url}
          alt={media.name}
          width={box.width}
          height={box.height}
          loading="lazy"
          decoding="async"
          style={{ aspectRatio: `${box.width} / ${box.height}` }}
          className="block h-auto max-w-full bg-slate-200 object-cover dark:bg-slate-800"
        />
      </button>
      {open && (
        <Suspense fallback={null}>
          <ImageLightbox media={media} onClose={() => setOpen(false)} />
        </Suspense>
      )}
    </>
  );
}
