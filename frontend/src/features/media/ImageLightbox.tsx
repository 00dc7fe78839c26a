import Lightbox from "yet-another-react-lightbox";
import "yet-another-react-lightbox/styles.css";
import type { Media } from "../../api/types.ts";

/** The full-size picture over the page; Escape, the close button or a click outside close it. */
export default function ImageLightbox({ media, onClose }: { media: Media; onClose: () => void }) {
  return (
    <Lightbox
      open
      close={onClose}
      carousel={{ finite: true }}
      controller={{ closeOnBackdropClick: true }}
      render={{ buttonPrev: () => null, buttonNext: () => null }}
      slides={[
        {
          src: media.url,
          alt: media.name,
          ...(media.width ? { width: media.width } : {}),
          ...(media.height ? { height: media.height } : {}),
        },
      ]}
    />
  );
}
