export interface RequestLineProblem {
  status: 400 | 405;
  code: "method_not_allowed" | "malformed_request";
  title: string;
  detail: string;
}
export declare const ALLOWED_METHODS: readonly string[];
export declare const ALLOW_HEADER: string;
export declare function requestLineProblem(method: string, target: string): RequestLineProblem | null;
export declare function problemJson(problem: { status: number; code: string; title: string; detail: string }, requestId?: string | null): string;
export declare function unrepresentableRequestProblem(method: string, target: string): RequestLineProblem | null;
export declare const REFUSAL_HEADERS: Readonly<Record<string, string>>;
