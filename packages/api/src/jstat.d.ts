/** The part of jStat (https://github.com/jstat/jstat, no bundled types) that Verdict uses. */
declare module "jstat" {
  const jStat: {
    studentt: {
      /** Student's t cumulative distribution function with `dof` degrees of freedom. */
      cdf(x: number, dof: number): number;
    };
  };
  export default jStat;
}
