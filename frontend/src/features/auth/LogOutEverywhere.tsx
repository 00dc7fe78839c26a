import { useState } from "react";
import { errorMessage } from "../../api/errors.ts";
import { useAuth } from "./AuthProvider.tsx";

/** "Log out everywhere": ends every session of the account (other browsers, phones, this tab too). */
export function LogOutEverywhere() {
  const { logOutEverywhere } = useAuth();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  const run = async () => {
    setBusy(true);
    setError(null);
    try {
      await logOutEverywhere();
    } catch (failure) {
      setError(errorMessage(failure));
      setBusy(false);
    }
  };

  return (
    <section className="mt-6 border-t border-slate-200 pt-4 dark:border-slate-800">
      <h3 className="text-sm font-medium text-slate-700 dark:text-slate-200">Sessions</h3>
      <p className="mt-1 text-sm text-slate-500 dark:text-slate-400">
        Signed in somewhere you should not be? End every session of your account, on every device, this one too.
      </p>
      {error && (
        <p role="alert" className="mt-2 text-sm text-red-600 dark:text-red-400">
          {error}
        </p>
      )}
      <button
        type="button"
        disabled={busy}
        onClick={() => void run()}
        className="mt-3 rounded-lg border border-red-200 px-4 py-2 text-sm font-medium text-red-700 hover:bg-red-50 disabled:opacity-60 dark:border-red-900 dark:text-red-300 dark:hover:bg-red-950"
      >
        Log out everywhere
      </button>
    </section>
  );
}
