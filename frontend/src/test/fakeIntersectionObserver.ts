// jsdom has no IntersectionObserver: a stand-in where tests decide what is in view.
export class FakeIntersectionObserver implements IntersectionObserver {
  static readonly live = new Set<FakeIntersectionObserver>();
  readonly root: Element | Document | null;
  readonly rootMargin: string;
  readonly thresholds: readonly number[] = [0];
  readonly scrollMargin = "0px";
  private readonly callback: IntersectionObserverCallback;
  private readonly targets = new Set<Element>();

  constructor(callback: IntersectionObserverCallback, options: IntersectionObserverInit = {}) {
    this.callback = callback;
    this.root = options.root ?? null;
    this.rootMargin = options.rootMargin ?? "0px";
    FakeIntersectionObserver.live.add(this);
  }

  observe(target: Element): void {
    this.targets.add(target);
  }

  unobserve(target: Element): void {
    this.targets.delete(target);
  }

  disconnect(): void {
    this.targets.clear();
    FakeIntersectionObserver.live.delete(this);
  }

  takeRecords(): IntersectionObserverEntry[] {
    return [];
  }

  /** Tell this observer whether its targets are in view. */
  report(inView: boolean): void {
    const entries = [...this.targets].map(
      (target) => ({ target, isIntersecting: inView, intersectionRatio: inView ? 1 : 0 }) as IntersectionObserverEntry,
    );
    if (entries.length > 0) this.callback(entries, this);
  }
}

/** Scroll every observed element into (or out of) view. */
export function setAllInView(inView: boolean): void {
  for (const observer of [...FakeIntersectionObserver.live]) observer.report(inView);
}
