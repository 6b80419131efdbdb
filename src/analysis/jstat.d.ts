/** Minimal typings for the parts of jStat (https://github.com/jstat/jstat) that facetally uses. */
declare module 'jstat' {
  interface JStat {
    gammaln(x: number): number;
    lowRegGamma(a: number, x: number): number;
    chisquare: { cdf(x: number, dof: number): number; inv(p: number, dof: number): number };
    normal: { cdf(x: number, mean: number, sd: number): number; inv(p: number, mean: number, sd: number): number };
  }
  const jStat: JStat;
  export default jStat;
}
