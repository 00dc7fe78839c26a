import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { ApiError, errorMessage } from "../../api/errors.ts";
import type { Me } from "../../api/types.ts";
import { UploadAborted } from "../../api/upload.ts";
import { Avatar } from "../../components/Avatar.tsx";
import { TextField } from "../../components/TextField.tsx";
import { useApi } from "../../data/ApiClientProvider.tsx";
import { queryKeys } from "../../data/queryKeys.ts";
import { formErrors } from "../../lib/formErrors.ts";
import { LogOutEverywhere } from "../auth/LogOutEverywhere.tsx";

/** The picture types the server accepts as an avatar (docs/api.md). */
export const PICTURE_TYPES = ["image/jpeg", "image/png", "image/webp", "image/gif"];

type MeQuery = { user: Me; sync_position?: number };
type Errors = { name?: string | undefined; form: string | null };

/**
 * Change my name and picture. A new picture is uploaded like any attachment, then named as my avatar; everyone
 * else hears of the change through the `user` socket event.
 */
export function ProfileDialog({ me, onClose }: { me: Me; onClose: () => void }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const titleId = useId();
  const [name, setName] = useState(me.name);
  const [picture, setPicture] = useState<File | null>(null);
  const [removed, setRemoved] = useState(false);
  const [progress, setProgress] = useState<number | null>(null);
  const [errors, setErrors] = useState<Errors>({ form: null });
  const preview = useObjectUrl(picture);
  const cancelUpload = useRef<(() => void) | null>(null);

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") onClose();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [onClose]);
  // Closing the dialog cancels an upload still in flight.
  useEffect(() => () => cancelUpload.current?.(), []);

  function choose(file: File | undefined) {
    if (!file) return;
    if (!PICTURE_TYPES.includes(file.type)) {
      setErrors({ form: "Choose a JPG, PNG, WebP or GIF picture." });
      return;
    }
    setErrors({ form: null });
    setPicture(file);
    setRemoved(false);
  }

  async function save(event: FormEvent) {
    event.preventDefault();
    setErrors({ form: null });
    const body: { name?: string; avatar_media_id?: string | null } = {};
    if (name !== me.name) body.name = name;
    try {
      if (picture) {
        setProgress(0);
        const upload = api.upload(picture, setProgress);
        cancelUpload.current = upload.abort;
        body.avatar_media_id = (await upload.promise).id;
        cancelUpload.current = null;
      } else if (removed) {
        body.avatar_media_id = null;
      }
      if (Object.keys(body).length > 0) {
        const user = await api.updateProfile(body);
        queryClient.setQueryData<MeQuery>(queryKeys.me, (old) =>
          old ? { ...old, user: { ...old.user, name: user.name, avatar: user.avatar } } : old,
        );
      }
      onClose();
    } catch (error) {
      if (error instanceof UploadAborted) return;
      if (error instanceof ApiError && error.status === 422) {
        const found = formErrors(error, ["name"]);
        setErrors({ name: found.fields.name, form: found.form });
      } else {
        setErrors({ form: errorMessage(error) });
      }
    } finally {
      setProgress(null);
    }
  }

  const shown = { ...me, name: name || me.name, avatar: preview ?? (removed ? null : me.avatar), online: true };
  const busy = progress !== null;
  return (
    <div className="fixed inset-0 z-40 flex items-center justify-center bg-slate-900/50 p-4" onClick={onClose}>
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        className="w-full max-w-sm rounded-2xl bg-white p-5 shadow-xl dark:bg-slate-900"
        onClick={(event) => event.stopPropagation()}
      >
        <h2 id={titleId} className="text-lg font-semibold">
          Your profile
        </h2>
        <form onSubmit={(event) => void save(event)} className="mt-4 flex flex-col gap-4" noValidate>
          <div className="flex items-center gap-4">
            <Avatar user={shown} />
            <div className="flex flex-wrap gap-2">
              <label className="cursor-pointer rounded-lg bg-slate-100 px-3 py-1.5 text-sm font-medium hover:bg-slate-200 dark:bg-slate-800 dark:hover:bg-slate-700">
                Choose picture
                <input
                  type="file"
                  accept={PICTURE_TYPES.join(",")}
                  aria-label="Profile picture"
                  className="sr-only"
                  disabled={busy}
                  onChange={(event) => {
                    choose(event.target.files?.[0]);
                    event.target.value = "";
                  }}
                />
              </label>
              {(picture || (me.avatar && !removed)) && (
                <button
                  type="button"
                  disabled={busy}
                  onClick={() => {
                    setPicture(null);
                    setRemoved(true);
                  }}
                  className="rounded-lg px-3 py-1.5 text-sm font-medium text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
                >
                  Remove picture
                </button>
              )}
            </div>
          </div>
          <TextField
            label="Name"
            value={name}
            onChange={(event) => setName(event.target.value)}
            autoComplete="name"
            error={errors.name}
          />
          {busy && (
            <progress className="h-1.5 w-full" max={1} value={progress} aria-label="Uploading picture" />
          )}
          {errors.form && (
            <p role="alert" className="text-sm text-red-600 dark:text-red-400">
              {errors.form}
            </p>
          )}
          <div className="flex justify-end gap-2">
            <button
              type="button"
              onClick={onClose}
              className="rounded-lg px-4 py-2 text-sm font-medium text-slate-600 hover:bg-slate-100 dark:text-slate-300 dark:hover:bg-slate-800"
            >
              Cancel
            </button>
            <button
              type="submit"
              disabled={busy}
              className="rounded-lg bg-indigo-600 px-4 py-2 text-sm font-medium text-white hover:bg-indigo-500 disabled:opacity-60"
            >
              Save
            </button>
          </div>
        </form>
        <LogOutEverywhere />
      </div>
    </div>
  );
}

/** A temporary URL showing a chosen file, revoked when it changes or the component goes. */
function useObjectUrl(file: File | null): string | null {
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!file) {
      setUrl(null);
      return;
    }
    const made = URL.createObjectURL(file);
    setUrl(made);
    return () => URL.revokeObjectURL(made);
  }, [file]);
  return url;
}
