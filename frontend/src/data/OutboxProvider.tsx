import { createContext, use, useCallback, useMemo, useReducer, type ReactNode } from "react";
import { EMPTY_OUTBOX, outboxReducer, type OutboxAction, type OutboxState } from "./outbox.ts";

type OutboxValue = {
  state: OutboxState;
  dispatch: (action: OutboxAction) => void;
  /** The server has these messages (by client_msg_id): stop showing them as pending. */
  confirm: (clientMsgIds: readonly string[]) => void;
};

const OutboxContext = createContext<OutboxValue | null>(null);

export function OutboxProvider({ children }: { children: ReactNode }) {
  const [state, dispatch] = useReducer(outboxReducer, EMPTY_OUTBOX);
  const confirm = useCallback((clientMsgIds: readonly string[]) => {
    if (clientMsgIds.length > 0) dispatch({ type: "confirmed", clientMsgIds });
  }, []);
  const value = useMemo(() => ({ state, dispatch, confirm }), [state, confirm]);
  return <OutboxContext value={value}>{children}</OutboxContext>;
}

export function useOutbox(): OutboxValue {
  const value = use(OutboxContext);
  if (!value) throw new Error("useOutbox needs an <OutboxProvider>");
  return value;
}
