import { useSubscription } from "@trpc/tanstack-react-query";
import type { QueueWatchInput } from "@verdict/schema";
import { useRef } from "react";
import { type RouterOutputs, useTRPC } from "./trpc.js";

export type QueueSnapshot = RouterOutputs["queue"]["snapshot"];

/**
 * The queue, live: `queue.watch` over server-sent events pushes a snapshot at once and on each change
 * (no polling from the page). `onChange` runs after every snapshot but the first, e.g. to refresh a list
 * that the change affects.
 */
export function useLiveQueue(input: QueueWatchInput, onChange?: (s: QueueSnapshot) => void) {
  const trpc = useTRPC();
  const seen = useRef(false);
  const sub = useSubscription(
    trpc.queue.watch.subscriptionOptions(input, {
      onData: (s) => {
        if (seen.current) onChange?.(s);
        seen.current = true;
      },
    }),
  );
  return sub;
}
