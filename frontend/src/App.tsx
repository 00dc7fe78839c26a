// Placeholder page until the chat features land in src/features/.
export default function App() {
  return (
    <main className="flex min-h-screen items-center justify-center bg-slate-50 px-6 text-slate-800 dark:bg-slate-950 dark:text-slate-100">
      <section className="w-full max-w-md rounded-2xl border border-slate-200 bg-white p-8 shadow-sm dark:border-slate-800 dark:bg-slate-900">
        <div className="mb-6 flex items-center gap-3">
          <span
            aria-hidden="true"
            className="flex h-10 w-10 items-center justify-center rounded-xl bg-indigo-600 text-lg font-semibold text-white"
          >
            P
          </span>
          <h1 className="text-2xl font-semibold tracking-tight">Parley</h1>
        </div>
        <p className="text-slate-600 dark:text-slate-400">The chat client is on its way.</p>
        <p className="mt-2 text-sm text-slate-500">
          Real-time, one-on-one conversations — just the two of you.
        </p>
      </section>
    </main>
  );
}
