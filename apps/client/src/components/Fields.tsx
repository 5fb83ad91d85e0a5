import type { ReactNode } from "react"

/**
 * A form around a few controls that save themselves (submitting does nothing). Every control
 * of the app sits in a small form: on each input, Chromium's autofill reads the control's
 * whole form, and a control outside any form is read with every other formless control on
 * the page. On a board of 10,000 tasks that was 14 ms a keystroke, half of key → paint.
 * `display: contents`: it adds no box, so the layout is the controls' own.
 */
export const Fields = ({ children }: { readonly children: ReactNode }) => (
  <form className="fields" onSubmit={(e) => e.preventDefault()}>
    {children}
  </form>
)
