import EmojiPicker from "emoji-picker-react";

/** The picker itself, loaded on first use. Native emoji and bundled data: no network. */
export default function EmojiPickerPanel({ onPick }: { onPick: (emoji: string) => void }) {
  return (
    <EmojiPicker
      colorScheme="auto"
      onEmojiClick={(data) => onPick(data.emoji)}
      previewConfig={{ showPreview: false }}
      autoFocusSearch
      lazyLoadEmojis
      width={320}
      height={380}
    />
  );
}
