import { useEffect, useState } from "react";

/**
 * True once the element has come within `margin` of the viewport (and from then on): a section below
 * the fold asks the server for its data only when the reader scrolls toward it, so a heavy question
 * never delays the page's first content. Without IntersectionObserver it is true at once. Returns a
 * callback ref (the element may mount after the hook first runs) and the flag.
 */
export function useInView<T extends Element>(margin = "200px"): [(el: T | null) => void, boolean] {
  const [el, setEl] = useState<T | null>(null);
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    if (seen || !el) return;
    if (typeof IntersectionObserver === "undefined") {
      setSeen(true);
      return;
    }
    const obs = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) setSeen(true);
      },
      { rootMargin: margin },
    );
    obs.observe(el);
    return () => obs.disconnect();
  }, [el, seen, margin]);
  return [setEl, seen];
}
