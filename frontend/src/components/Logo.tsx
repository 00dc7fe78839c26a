export function Logo({ size = "md" }: { size?: "sm" | "md" }) {
  const box = size === "sm" ? "h-8 w-8 text-base" : "h-10 w-10 text-lg";
  return (
    <span
      aria-hidden="true"
      className={`flex ${box} shrink-0 items-center justify-center rounded-xl bg-indigo-600 font-semibold text-white`}
    >
      P
    </span>
  );
}
