import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Logo } from "../../components/Logo.tsx";
import { TextField } from "../../components/TextField.tsx";
import { useApi } from "../../data/ApiClientProvider.tsx";
import { formErrors, NO_ERRORS, type AccountField, type FormErrors } from "../../lib/formErrors.ts";
import { useAuth } from "./AuthProvider.tsx";

type Mode = "login" | "signup";

const FIELDS: Record<Mode, readonly AccountField[]> = {
  login: ["email", "password"],
  signup: ["name", "email", "password"],
};

/** Log in or create an account; on success the chat opens straight away. */
export function AuthScreen({ initialMode = "login" }: { initialMode?: Mode }) {
  const api = useApi();
  const { signIn } = useAuth();
  const [mode, setMode] = useState<Mode>(initialMode);
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const [errors, setErrors] = useState<FormErrors>(NO_ERRORS);

  const submit = useMutation({
    mutationFn: () =>
      mode === "signup" ? api.register({ name, email, password }) : api.login({ email, password }),
    onSuccess: signIn,
    onError: (error) => setErrors(formErrors(error, FIELDS[mode])),
  });

  const onSubmit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (submit.isPending) return;
    setErrors(NO_ERRORS);
    submit.mutate();
  };

  const switchTo = (next: Mode) => {
    setMode(next);
    setErrors(NO_ERRORS);
    submit.reset();
  };

  const signup = mode === "signup";
  return (
    <main className="flex min-h-dvh items-center justify-center bg-slate-50 px-4 py-10 text-slate-800 dark:bg-slate-950 dark:text-slate-100">
      <section className="w-full max-w-sm rounded-2xl border border-slate-200 bg-white p-8 shadow-sm dark:border-slate-800 dark:bg-slate-900">
        <div className="mb-6 flex items-center gap-3">
          <Logo />
          <div>
            <h1 className="text-2xl font-semibold tracking-tight">Parley</h1>
            <p className="text-sm text-slate-500 dark:text-slate-400">
              {signup ? "Create your account" : "Welcome back"}
            </p>
          </div>
        </div>
        <form noValidate onSubmit={onSubmit} className="flex flex-col gap-4">
          {signup && (
            <TextField
              label="Name"
              name="name"
              autoComplete="name"
              value={name}
              onChange={(e) => setName(e.target.value)}
              error={errors.fields.name}
            />
          )}
          <TextField
            label="Email"
            name="email"
            type="email"
            autoComplete="email"
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            error={errors.fields.email}
          />
          <TextField
            label="Password"
            name="password"
            type="password"
            autoComplete={signup ? "new-password" : "current-password"}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={errors.fields.password}
          />
          {errors.form && (
            <p role="alert" className="rounded-lg bg-red-50 px-3 py-2 text-sm text-red-700 dark:bg-red-950 dark:text-red-300">
              {errors.form}
            </p>
          )}
          <button
            type="submit"
            disabled={submit.isPending}
            className="mt-2 rounded-lg bg-indigo-600 px-4 py-2 font-medium text-white transition hover:bg-indigo-500 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-indigo-600 disabled:opacity-60"
          >
            {signup ? "Create account" : "Log in"}
          </button>
        </form>
        <p className="mt-6 text-center text-sm text-slate-500 dark:text-slate-400">
          {signup ? "Already have an account? " : "New to Parley? "}
          <button
            type="button"
            onClick={() => switchTo(signup ? "login" : "signup")}
            className="font-medium text-indigo-600 hover:underline dark:text-indigo-400"
          >
            {signup ? "Log in" : "Sign up"}
          </button>
        </p>
      </section>
    </main>
  );
}
