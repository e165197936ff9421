// Table sorting of the HTML report (embedded at build time); the tables
// read fine without it.
(function(){function key(td,num){var v=td.getAttribute('data-v');if(v===null)v=td.textContent;return num?Number(v):v.toLowerCase();}
Array.prototype.forEach.call(document.querySelectorAll('table.sort th'),function(th){th.tabIndex=0;function go(){var t=th.closest('table'),b=t.tBodies[0],i=th.cellIndex,num=th.classList.contains('num'),d=th.getAttribute('aria-sort')==='ascending'?-1:1;Array.prototype.forEach.call(t.tHead.rows[0].cells,function(h){h.removeAttribute('aria-sort');});th.setAttribute('aria-sort',d>0?'ascending':'descending');var r=Array.prototype.slice.call(b.rows);r.sort(function(x,y){var a=key(x.cells[i],num),c=key(y.cells[i],num);return a<c?-d:a>c?d:0;});r.forEach(function(e){b.appendChild(e);});}
th.addEventListener('click',go);th.addEventListener('keydown',function(e){if(e.key==='Enter'||e.key===' '){e.preventDefault();go();}});});})();
